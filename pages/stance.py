"""Stance: distribution per actor and per country, the actor x stance table, and sentiment per actor."""

import streamlit as st

from analysis.dashboard.charts import sentiment_bars, stance_bars
from analysis.dashboard.views import (
    actor_sentiment,
    country_stance,
    speaker_target_matrix,
    stance_counts,
    stance_methods,
    stance_profile_table,
    uncertain_counts,
    without_speaker,
)
from analysis.labels import STANCE_LABELS
from pages import ui

result = ui.page_with_analysis("Stance")

statements = result.statements
if not len(statements):
    st.info("This article has no attributed statements, so there is no stance to chart.")
    st.stop()

by_actor = stance_counts(statements, "speaker")
by_country = country_stance(result)
left, right = st.columns(2)
with left:
    st.plotly_chart(stance_bars(by_actor, title="Per actor"), width="stretch", key="bars_actor")
with right:
    st.plotly_chart(stance_bars(by_country, title="Per country"), width="stretch", key="bars_country")
st.caption(f"Stance method: {', '.join(stance_methods(statements))}. Statements without a known speaker are not in "
           f"the bars ({without_speaker(statements)} of {len(statements)}).")

st.subheader("Actor × stance")
by_actor_shown = by_actor.assign(uncertain=uncertain_counts(statements, "speaker", by_actor.index))
ui.table(by_actor_shown.reset_index(), key="actor_stance_table", stance=(),
         config={"speaker": st.column_config.TextColumn("actor"),
                 "uncertain": st.column_config.NumberColumn("of which uncertain")})
st.caption("\"of which uncertain\": statements whose stance the model gave under 0.5 (counted in their stance too).")
ui.downloads(by_actor_shown.reset_index(), f"actor-stance-{result.article_id}", key="actor_stance")

st.subheader("Speaker × target")
matrix = speaker_target_matrix(result)
if len(matrix):
    ui.table(matrix.reset_index(), key="speaker_target", stance=tuple(matrix.columns))
    st.caption("Rows: the speakers; columns: the actors their statements name; a cell: the dominant stance of that "
               "speaker's statements naming that target (— : it does not name it; targets of the speaker's own "
               "country are left out).")
    ui.downloads(matrix.reset_index(), f"speaker-target-{result.article_id}", key="speaker_target_dl")
else:
    st.info("No speaker names a target actor in its statements here, so there is no speaker × target table.")

st.subheader("Stance profiles")
shares = {label: st.column_config.ProgressColumn(label, min_value=0.0, max_value=1.0, format="percent")
          for label in STANCE_LABELS}
for of, heading, caption in (
        ("actors", "Per actor", "A country here is the state speaking as itself (\"Seoul said\")."),
        ("countries", "Per country, all its actors", "The country's own statements and those of its people and "
                                                     "bodies together.")):
    profiles = stance_profile_table(result, of=of)
    if not len(profiles):
        continue
    st.markdown(f"**{heading}**")
    ui.table(profiles.drop(columns=["kind"]) if of == "countries" else profiles, key=f"profiles_{of}",
             stance=("dominant",),
             config=shares)
    st.caption(f"{caption} The share of each stance over the statements (model probabilities where the model ran), "
               "the dominant stance, and the statements that are its evidence (numbers as on the Quotes page).")
    ui.downloads(profiles, f"stance-profiles-{of}-{result.article_id}", key=f"stance_profiles_{of}")

st.subheader("Sentiment per actor")
sentiment = actor_sentiment(result)
if sentiment is not None:
    st.plotly_chart(sentiment_bars(result.actors), width="stretch", key="bars_sentiment")
    st.caption("How the article portrays each actor: mean of P(positive) - P(negative) over its mentions, from the "
               "target-dependent sentiment model (MiniLM fine-tuned on NewsMTSC).")
    ui.table(sentiment, key="sentiment_table")
else:
    st.info("Sentiment per actor is not in this analysis: it was made before the sentiment model was added.")
