"""Stance: distribution per actor and per country, the actor x stance table, and sentiment per actor."""

import streamlit as st

from analysis.dashboard.charts import sentiment_bars, stance_bars
from analysis.dashboard.views import stance_counts, stance_profile_table
from analysis.labels import STANCE_LABELS
from pages import ui

result = ui.page_with_analysis("Stance")

statements = result.statements
if not len(statements):
    st.info("This article has no attributed statements, so there is no stance to chart.")
    st.stop()

by_actor = stance_counts(statements, "speaker")
names = dict(zip(result.countries["iso3"], result.countries["name"], strict=True))
by_country = stance_counts(statements.assign(country=statements["speaker_country"].map(names)), "country")
left, right = st.columns(2)
with left:
    st.plotly_chart(stance_bars(by_actor, title="Per actor"), width="stretch", key="bars_actor")
with right:
    st.plotly_chart(stance_bars(by_country, title="Per country"), width="stretch", key="bars_country")
method = ", ".join(sorted(set(statements["stance_method"].dropna())))
st.caption(f"Stance method: {method}. Statements without a known speaker are not in the bars "
           f"({int(statements['speaker'].isna().sum())} of {len(statements)}).")

st.subheader("Actor × stance")
st.dataframe(by_actor, width="stretch", column_config={"speaker": "actor"})
ui.downloads(by_actor.reset_index(), f"actor-stance-{result.article_id}", key="actor_stance")

st.subheader("Stance profiles")
profiles = stance_profile_table(result)
if len(profiles):
    st.dataframe(profiles, hide_index=True, width="stretch",
                 column_config={"evidence": st.column_config.ListColumn("evidence (statement ids)"),
                                **{label: st.column_config.ProgressColumn(label, min_value=0.0, max_value=1.0,
                                                                          format="percent")
                                   for label in STANCE_LABELS}})
    st.caption("Per actor and per country: the share of each stance over its statements (model probabilities where "
               "the model ran), the dominant stance, and the statements that are its evidence (ids as on the Quotes "
               "page).")
    ui.downloads(profiles, f"stance-profiles-{result.article_id}", key="stance_profiles")

st.subheader("Sentiment per actor")
if "sentiment_mean" in result.actors.columns and result.actors["sentiment_mean"].notna().any():
    st.plotly_chart(sentiment_bars(result.actors), width="stretch", key="bars_sentiment")
    st.caption("How the article portrays each actor: mean of P(positive) - P(negative) over its mentions, from the "
               "target-dependent sentiment model (MiniLM fine-tuned on NewsMTSC).")
    cols = [c for c in ("name", "kind", "country", "sentiment_mean", "sentiment_negative", "sentiment_neutral",
                        "sentiment_positive") if c in result.actors.columns]
    st.dataframe(result.actors[cols].sort_values("sentiment_mean"), hide_index=True, width="stretch")
else:
    st.info("Sentiment per actor is not in this analysis: it was made before the sentiment model was added.")
