"""Helpers shared by the pages: the UI-side caches, the current analysis and its share link, downloads, messages.

This is the only module of the dashboard that caches: `st.cache_resource` for models and the store,
`st.cache_data` for stored analyses. Pages call these helpers and draw; the work happens in `analysis/`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from analysis.dashboard.access import is_allowed
from analysis.dashboard.display import label, readable
from analysis.dashboard.views import STANCE_COLORS, for_download
from analysis.errors import AccessDeniedError, AnalysisError, StoreError
from analysis.pipeline import Analysis, analyze, article_id_of
from analysis.settings import Settings, load_settings
from analysis.store import Store, check_id, database_url

APP_TITLE = "Stance Atlas"
_SESSION_KEY = "analysis"


def through_app() -> None:
    """Make sure every run goes through `app.py` (its sign-in gate, page config and navigation).

    Streamlit treats a folder named `pages/` beside the main script as old-style pages until some session has called
    `st.navigation`: so the first visitor after a server start who opens a deep link (`/map?a=...`) would get
    `pages/map.py` run on its own, without `app.py`'s sign-in gate. Every page imports this module first; if it
    finds that mode on, it switches it off for the whole server and reruns, and the rerun goes through `app.py`.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


through_app()


def settings() -> Settings:
    """Settings from the environment, overlaid with Streamlit secrets where they exist."""
    try:
        secrets = {k: str(v) for k, v in st.secrets.items() if not isinstance(v, dict)}
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        secrets = {}
    return load_settings(overrides=secrets)


@st.cache_resource(show_spinner=False)
def _preloaded() -> threading.Thread:
    """Start loading the models in the background as the server starts, so the first page draws at once and the
    first analysis does not wait for the whole load."""
    from analysis.pipeline import load_models

    thread = threading.Thread(target=load_models, name="stance-atlas-model-load", daemon=True)
    thread.start()
    return thread


def preload_models() -> None:
    """Begin the background model load (once per server process)."""
    _preloaded()


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def store() -> Store:
    """The analysis store the settings name (opened once per server process)."""
    return _store(database_url(settings()))


def correctable(analysis: Analysis) -> Store | None:
    """The store, when it holds this analysis so that analysts can correct it; else a note why not, and None (the
    analysis itself is still shown: it may have been made while the store could not be written)."""
    try:
        held = store()
        if held.exists(analysis.article_id):
            return held
        st.info("This analysis is not in the store, so it cannot be corrected.")
    except StoreError as exc:
        st.info(f"Corrections are off: {exc}.")
    return None


@st.cache_data(show_spinner="Opening the shared analysis…", max_entries=64)
def _load(url: str, article_id: str) -> Analysis:
    return _store(url).load(article_id)


def stored_analysis(article_id: str) -> Analysis | None:
    """A stored analysis with its corrections (cached per server process; each session gets its own copy); a message
    and None when it cannot load."""
    try:
        return _load(database_url(settings()), check_id(article_id))
    except AnalysisError as exc:
        st.error(str(exc))
        return None


def corrected(analysis: Analysis) -> None:
    """Make a corrected analysis the current one and drop stale cached copies (every session reloads it)."""
    _load.clear()
    st.session_state[_SESSION_KEY] = analysis


def forget(article_id: str) -> None:
    """After a deletion: drop cached copies and, if it is the current analysis, stop showing it."""
    _load.clear()
    held = st.session_state.get(_SESSION_KEY)
    if held is not None and held.article_id == article_id:
        del st.session_state[_SESSION_KEY]
        st.query_params.clear()


def made_by() -> str:
    """Who a correction is recorded as made by: the signed-in e-mail, or "local" when sign-in is off."""
    return user_email() or "local"


def current_analysis() -> Analysis | None:
    """The analysis this page shows: the share link's `?a=` if given, else the one made in this session (also one
    that finished while the analyst was on another page).

    An unknown or malformed id shows a message and returns None.
    """
    _adopt_finished_run()
    wanted = st.query_params.get("a")
    held: Analysis | None = st.session_state.get(_SESSION_KEY)
    if wanted:
        if held is not None and held.article_id == wanted:
            return held
        found = stored_analysis(wanted)
        if found is not None:
            st.session_state[_SESSION_KEY] = found
        return found
    if held is not None:
        st.query_params["a"] = held.article_id  # keep the address shareable on every page
    return held


#: the session key of the analysis under way (a `_Run`)
_RUN_KEY = "analysis_run"


class _Run:
    """An analysis under way in a worker thread, held in the session: it goes on when the analyst opens another
    page (Streamlit stops the page's script, not this thread), and any page shows its result when it is done.

    The worker never calls Streamlit; it only writes these fields, which the pages read.
    """

    def __init__(self, label: str) -> None:
        self.label = label  # what is being analysed (the title or the first words)
        self.stage = "Checking the text…"
        self.result: Analysis | None = None
        self.reused = False  # the same article (same id) was already stored: opened, not analysed again
        self.error: AnalysisError | None = None  # a user error: its message is shown
        self.crash: BaseException | None = None  # anything else: raised on the page that shows the run
        self.unsaved: StoreError | None = None
        self.done = threading.Event()

    def work(self, text: str, meta: dict[str, str | None], config: Settings, saved_by: str | None,
             db: Store | StoreError, models: threading.Thread) -> None:
        """Analyse (or open the stored analysis of the same id) and save; `db` is the store, or the error that
        kept it from opening (then the analysis is made and shown, not saved)."""
        try:
            article_id = article_id_of(text, settings=config, **meta)
            if isinstance(db, Store) and self._stored(db, article_id):
                self.stage = "Opening the stored analysis…"
                self.result, self.reused = db.load(article_id), True
                return
            self.stage = "Loading the language models…"
            models.join()
            self.result = analyze(text, settings=config, on_stage=self._on_stage, **meta)
            self.stage = "Saving…"
            try:
                if isinstance(db, StoreError):
                    raise db
                self.result = db.save(self.result, saved_by=saved_by)
            except StoreError as exc:
                self.unsaved = exc
        except AnalysisError as exc:
            self.error = exc
        except BaseException as exc:  # handed to the page, which raises it
            self.crash = exc
        finally:
            self.done.set()

    @staticmethod
    def _stored(db: Store, article_id: str) -> bool:
        try:
            return db.exists(article_id)
        except StoreError:  # the store cannot be read: analyse, and say so when saving fails too
            return False

    def _on_stage(self, name: str) -> None:
        self.stage = f"{name[:1].upper()}{name[1:]}…"


def run_analysis(text: str, *, title: str | None, source: str | None, published: str | None) -> Analysis | None:
    """Analyse text with a progress display, store it and make it current; a user error is shown, None returned.

    The work runs in a thread held in the session, so it finishes (and is shown) even if the analyst opens another
    page meanwhile. An article already stored under the same id (same text, metadata, pipeline and models) is opened
    at once instead of analysed again. When the store cannot be written (read-only, full, unreachable) the analysis
    is still made current and shown, with a warning that it was not saved.
    """
    meta = {"title": title or None, "source": source or None, "published": published or None}
    words = " ".join(text.split()[:8])
    run = _Run(title or (words + "…" if words else "the text"))
    st.session_state[_RUN_KEY] = run
    try:
        db: Store | StoreError = store()
    except StoreError as exc:
        db = exc
    threading.Thread(target=run.work, args=(text, meta, settings(), user_email(), db, _preloaded()),
                     name="stance-atlas-analysis", daemon=True).start()
    return _follow(run)


def _follow(run: _Run) -> Analysis | None:
    """Show a run's progress until it is done, then its outcome; the result becomes the current analysis."""
    with st.status(run.stage, expanded=False) as status:
        while not run.done.wait(0.25):
            status.update(label=run.stage)
        if run.error is not None or run.crash is not None:
            status.update(label="Not analysed", state="error")
        elif run.unsaved is not None:
            status.update(label="Analysed, not saved", state="error")
        else:
            status.update(label="Opened the stored analysis" if run.reused else "Done", state="complete")
    return _adopt_finished_run()


def follow_run() -> None:
    """On the Analyze page: if this session's analysis is still under way (the analyst left and came back), show its
    progress until it is done."""
    run: _Run | None = st.session_state.get(_RUN_KEY)
    if run is not None and not run.done.is_set():
        _follow(run)


def _adopt_finished_run() -> Analysis | None:
    """If this session's run is done: show its message once and make its result the current analysis."""
    run: _Run | None = st.session_state.get(_RUN_KEY)
    if run is None or not run.done.is_set():
        return None
    del st.session_state[_RUN_KEY]
    if run.crash is not None:
        raise run.crash
    if run.error is not None:
        st.error(str(run.error))
        return None
    if run.unsaved is not None:
        st.warning(f"Not saved: {run.unsaved}. The analysis is shown below, but its share link opens only in this "
                   "session; download it to keep it.")
    elif run.reused:
        st.info("This article was already analysed with the same models: the stored analysis (with its "
                "corrections) is shown, not a new run.")
        _load.clear()
    else:
        _load.clear()  # analysed again under a known id: analysts' fixes apply to cached copies too
    st.session_state[_SESSION_KEY] = run.result
    st.query_params["a"] = run.result.article_id
    return run.result


def running_elsewhere() -> None:
    """On a page other than Analyze, while this session's analysis is under way: say so, and show the page again
    when it is done."""
    run: _Run | None = st.session_state.get(_RUN_KEY)
    if run is None or run.done.is_set():
        return

    @st.fragment(run_every=1.0)
    def _wait() -> None:
        if run.done.is_set():
            st.rerun()
        st.info(f"Analysing {run.label} ({run.stage.rstrip('…').lower()}): this page shows it when it is done.")

    _wait()
    st.stop()


def auth_enabled() -> bool:
    """Sign-in is on when the secrets hold an `[auth]` section (OpenID Connect, see the README)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def require_sign_in() -> None:
    """With sign-in on, stop the page (and every share link) until an allowed user has signed in.

    `app.py` calls it before any page, and every page calls it again first thing: Streamlit can run a page script on
    its own (its older pages-folder mode, see `through_app`), and the gate must hold there too. It draws nothing for
    an allowed user (`signed_in_sidebar` shows who is signed in).
    """
    if not auth_enabled():
        return
    if not st.user.get("is_logged_in"):
        _sign_in_screen()
        st.info("This Stance Atlas is shared by a team: sign in to see its analyses.")
        st.button("Sign in", type="primary", on_click=st.login, key="sign_in")
        st.stop()
    email = st.user.get("email")
    if not is_allowed(email, settings().allowed_viewers):
        _sign_in_screen()
        st.error(str(AccessDeniedError(f"{email or 'this account'} may not view this Stance Atlas; "
                                       "ask its administrator to add you")))
        st.button("Sign out", on_click=st.logout, key="sign_out_denied")
        st.stop()


def signed_in_sidebar() -> None:
    """With sign-in on, the signed-in user's e-mail and a sign-out button in the sidebar (called by `app.py`)."""
    if auth_enabled() and st.user.get("is_logged_in"):
        with st.sidebar:
            st.caption(f"Signed in as {st.user.get('email')}")
            st.button("Sign out", on_click=st.logout, key="sign_out")


def _sign_in_screen() -> None:
    """The title, with no page menu: a fresh server's first visitor may still hold the old pages-folder menu."""
    st.markdown("<style>[data-testid='stSidebarNav'] {display: none;}</style>", unsafe_allow_html=True)
    st.title(APP_TITLE)


def user_email() -> str | None:
    """The signed-in user's e-mail, when sign-in is on."""
    if not auth_enabled():
        return None
    return st.user.get("email") if st.user.get("is_logged_in") else None


def share_url(article_id: str) -> str:
    """The link that opens this analysis for anyone with access to this server."""
    try:
        base = st.context.url or ""
    except AttributeError:
        base = ""
    if base:
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", f"a={article_id}", ""))
    return f"?a={article_id}"


def plain(text: str) -> str:
    """Text from an article (a title, a name) escaped for st.markdown: shown as written, never as links or markup."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$])", r"\\\1", text)


def no_analysis_yet() -> None:
    """Say there is nothing to show yet and point to the Analyze page."""
    st.info("No analysis yet: paste an article on the Analyze page, or open a stored one from the Library.")
    link_to_analyze()


def link_to_analyze() -> None:
    """A link to the Analyze page, under a message that there is nothing (or too little) to show."""
    st.page_link("pages/analyze.py", label="Go to Analyze", icon=":material/edit_note:")


def page(title: str) -> None:
    """Begin a page: the sign-in gate (`app.py` checks first; this holds wherever a page runs on its own), then the
    page's title."""
    require_sign_in()
    st.title(title)


def page_with_analysis(title: str) -> Analysis:
    """Begin a page that shows the current analysis: the sign-in gate, the title, the analysis's header line.

    Without a current analysis (none made in this session, or the share link's id is unknown or malformed, which
    shows its message) it says so, points to the Analyze page and stops the page.
    """
    page(title)
    result = current_analysis()
    if result is None:
        running_elsewhere()
        no_analysis_yet()
        st.stop()
    header(result)
    return result


def metrics(facts: dict[str, int | str]) -> None:
    """The four counts of an analysis (`analysis.dashboard.views.summary`) side by side."""
    columns = st.columns(4)
    for column, (name, key) in zip(columns, (("Actors", "actors"), ("Countries", "countries"),
                                              ("Statements", "statements"), ("With a stance", "with_stance")),
                                    strict=True):
        column.metric(name, facts[key])


def styled(df: pd.DataFrame, column: str | tuple[str, ...] = "stance") -> Any:
    """The table with its stance cells (in `column`, or each of several) in the app's fixed stance colours
    (a pandas Styler for st.dataframe)."""
    columns = [c for c in ((column,) if isinstance(column, str) else column) if c in df.columns]
    if not columns:
        return df.style.format(precision=2)

    def colour(value: object) -> str:
        color = STANCE_COLORS.get(str(value))
        return f"background-color: {color}; color: white;" if color else ""

    return df.style.map(colour, subset=columns).format(precision=2)


def table(df: pd.DataFrame, columns: list[str] | None = None, *, key: str | None = None,
          stance: tuple[str, ...] = ("stance", "dominant_stance"), index: bool = False,
          config: dict[str, Any] | None = None) -> None:
    """Draw one table of `analysis/` as an analyst reads it (`analysis.dashboard.display.readable`: readable labels,
    "—" for missing values, country names beside codes), with the stance columns (data names) in the stance colours.
    `config` is st.column_config by data column name."""
    shown = readable(df, columns, keep_index=index)
    st.dataframe(styled(shown, tuple(label(c) for c in stance)), hide_index=not index, width="stretch", key=key,
                 column_config={label(c): v for c, v in (config or {}).items()})


def downloads(df: pd.DataFrame, name: str, *, key: str) -> None:
    """CSV and JSON download buttons for one table."""
    c1, c2, _ = st.columns([1, 1, 6])
    c1.download_button("CSV", for_download(df).to_csv(index=False).encode("utf-8"), file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}-csv")
    c2.download_button("JSON", df.to_json(orient="records", force_ascii=False, indent=1).encode("utf-8"),
                       file_name=f"{name}.json", mime="application/json", key=f"{key}-json")


def download_analysis(analysis: Analysis) -> None:
    """Two buttons: the whole analysis as JSON, and a brief to send (one self-contained HTML file, made on click)."""
    left, right = st.columns(2)
    left.download_button("Download the whole analysis (JSON)",
                         json.dumps(analysis.to_dict(), ensure_ascii=False, indent=1).encode("utf-8"),
                         file_name=f"stance-atlas-{analysis.article_id}.json", mime="application/json",
                         key="whole-analysis")
    right.download_button("Download brief (HTML)", _brief_maker(analysis), on_click="ignore",
                          file_name=f"stance-atlas-brief-{analysis.article_id}.html", mime="text/html",
                          key="brief", help="One HTML file to send: title, map, stance per country and per actor, "
                                            "top statements, flags, corrections and the share link. It opens in "
                                            "any browser, also offline (about 5 MB).")


def _brief_maker(analysis: Analysis) -> Callable[[], bytes]:
    """What makes the brief when the button is clicked (Streamlit runs it then, in another thread: no `st.` calls
    there): the stored analysis with its corrections, or this one (no share link) when the store does not hold it or
    cannot be read."""
    from analysis.dashboard.brief import brief_html, stored_brief

    link = share_url(analysis.article_id)
    try:
        held: Store | None = store()
    except StoreError:
        held = None

    def make() -> bytes:
        try:
            if held is not None and held.exists(analysis.article_id):
                return stored_brief(held, analysis.article_id, share_url=link).encode("utf-8")
        except StoreError:
            pass
        return brief_html(analysis, share_url=None).encode("utf-8")

    return make


def header(analysis: Analysis) -> None:
    """The analysed article's title line and share link, shown on every page."""
    art = analysis.article
    st.caption(" · ".join(x for x in (art.shown_title, art.source, art.published) if x)
               + f" · id {analysis.article_id}")
