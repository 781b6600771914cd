"""Actors: named people, countries and organisations per sentence, resolved to canonical actors.

Requires: spaCy docs of the article's paragraphs (the registry's `ner` role: tagger, parser and
NER) and, optionally, an actors file. Produces: Mention records (one per mention, with its
paragraph, sentence, character offsets and the person's role).

spaCy's small English model mislabels many names (a surname as ORG, a capital as PERSON, an
invented country as PERSON), so its labels are one vote among several, never the decision:

1. Proper-noun chunks are read from the parse (capitalised runs, joined over "of", "for",
   "and", hyphens and plural possessives when they form one name), not only from `doc.ents`.
2. Each chunk is split into what it holds: "Marrowenian Foreign Minister Ilse Varnholt" is a
   demonym, a role ("Foreign Minister", kept as the mention's role) and a person.
3. Article-level resolution: full names make their surnames resolve ("Kask" → "Dorian Kask");
   a name seen as a person stays a person; organisations get their acronyms and short names;
   demonyms resolve to the country (gazetteer, or by suffix rules against the countries of the
   article: "Veldrian" → "Veldria"); a capital stands for its country where it acts as a state.
4. The actors file (canonical name, type, aliases, optional role) wins over all of the above.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .schema import ACTOR_TYPES, Article, Mention, Sentence

# ---- word lists (constants, not inline) -------------------------------------------------------

# real countries: canonical | aliases | demonyms | capitals (or seats that stand for the state)
COUNTRY_TABLE = """
Afghanistan||Afghan|Kabul
Albania||Albanian|Tirana
Algeria||Algerian|Algiers
Andorra||Andorran|
Angola||Angolan|Luanda
Antigua and Barbuda||Antiguan|
Argentina||Argentine,Argentinian|Buenos Aires
Armenia||Armenian|Yerevan
Australia||Australian|Canberra
Austria||Austrian|Vienna
Azerbaijan||Azerbaijani,Azeri|Baku
Bahamas|The Bahamas|Bahamian|Nassau
Bahrain||Bahraini|Manama
Bangladesh||Bangladeshi|Dhaka
Barbados||Barbadian|Bridgetown
Belarus||Belarusian|Minsk
Belgium||Belgian|Brussels
Belize||Belizean|Belmopan
Benin||Beninese|Porto-Novo
Bhutan||Bhutanese|Thimphu
Bolivia||Bolivian|La Paz,Sucre
Bosnia and Herzegovina|Bosnia|Bosnian|Sarajevo
Botswana||Botswanan|Gaborone
Brazil||Brazilian|Brasilia,Brasília
Brunei||Bruneian|
Bulgaria||Bulgarian|Sofia
Burkina Faso||Burkinabe|Ouagadougou
Burundi||Burundian|Gitega
Cambodia||Cambodian|Phnom Penh
Cameroon||Cameroonian|Yaounde,Yaoundé
Canada||Canadian|Ottawa
Cape Verde|Cabo Verde|Cape Verdean|Praia
Central African Republic|||Bangui
Chad||Chadian|N'Djamena
Chile||Chilean|Santiago
China|People's Republic of China,PRC|Chinese|Beijing
Colombia||Colombian|Bogota,Bogotá
Comoros||Comorian|Moroni
Democratic Republic of the Congo|DRC,DR Congo,Congo-Kinshasa|Congolese|Kinshasa
Republic of the Congo|Congo-Brazzaville||Brazzaville
Costa Rica||Costa Rican|San Jose,San José
Croatia||Croatian|Zagreb
Cuba||Cuban|Havana
Cyprus||Cypriot|Nicosia
Czech Republic|Czechia|Czech|Prague
Denmark||Danish,Dane|Copenhagen
Djibouti||Djiboutian|
Dominica||Dominican|Roseau
Dominican Republic|||Santo Domingo
Ecuador||Ecuadorian|Quito
Egypt||Egyptian|Cairo
El Salvador||Salvadoran|San Salvador
Equatorial Guinea||Equatoguinean|Malabo
Eritrea||Eritrean|Asmara
Estonia||Estonian|Tallinn
Eswatini|Swaziland|Swazi|Mbabane
Ethiopia||Ethiopian|Addis Ababa
Fiji||Fijian|Suva
Finland||Finnish,Finn|Helsinki
France||French|Paris
Gabon||Gabonese|Libreville
Gambia|The Gambia|Gambian|Banjul
Georgia||Georgian|Tbilisi
Germany||German|Berlin
Ghana||Ghanaian|Accra
Greece||Greek|Athens
Grenada||Grenadian|
Guatemala||Guatemalan|Guatemala City
Guinea||Guinean|Conakry
Guinea-Bissau||Bissau-Guinean|Bissau
Guyana||Guyanese|Georgetown
Haiti||Haitian|Port-au-Prince
Honduras||Honduran|Tegucigalpa
Hungary||Hungarian|Budapest
Iceland||Icelandic,Icelander|Reykjavik
India||Indian|New Delhi
Indonesia||Indonesian|Jakarta
Iran||Iranian|Tehran
Iraq||Iraqi|Baghdad
Ireland|Republic of Ireland|Irish|Dublin
Israel||Israeli|Jerusalem
Italy||Italian|Rome
Ivory Coast|Côte d'Ivoire,Cote d'Ivoire|Ivorian|Yamoussoukro
Jamaica||Jamaican|Kingston
Japan||Japanese|Tokyo
Jordan||Jordanian|Amman
Kazakhstan||Kazakh,Kazakhstani|Astana
Kenya||Kenyan|Nairobi
Kiribati|||Tarawa
Kosovo||Kosovar|Pristina
Kuwait||Kuwaiti|Kuwait City
Kyrgyzstan||Kyrgyz|Bishkek
Laos||Lao,Laotian|Vientiane
Latvia||Latvian|Riga
Lebanon||Lebanese|Beirut
Lesotho||Basotho|Maseru
Liberia||Liberian|Monrovia
Libya||Libyan|Tripoli
Liechtenstein|||Vaduz
Lithuania||Lithuanian|Vilnius
Luxembourg||Luxembourgish|
Madagascar||Malagasy|Antananarivo
Malawi||Malawian|Lilongwe
Malaysia||Malaysian|Kuala Lumpur
Maldives||Maldivian|
Mali||Malian|Bamako
Malta||Maltese|Valletta
Marshall Islands||Marshallese|Majuro
Mauritania||Mauritanian|Nouakchott
Mauritius||Mauritian|Port Louis
Mexico||Mexican|Mexico City
Micronesia||Micronesian|Palikir
Moldova||Moldovan|Chisinau,Chișinău
Monaco||Monegasque|
Mongolia||Mongolian|Ulaanbaatar
Montenegro||Montenegrin|Podgorica
Morocco||Moroccan|Rabat
Mozambique||Mozambican|Maputo
Myanmar|Burma|Burmese|Naypyidaw
Namibia||Namibian|Windhoek
Nauru||Nauruan|
Nepal||Nepali,Nepalese|Kathmandu
Netherlands|The Netherlands,Holland|Dutch|Amsterdam,The Hague
New Zealand||New Zealander|Wellington
Nicaragua||Nicaraguan|Managua
Niger||Nigerien|Niamey
Nigeria||Nigerian|Abuja
North Korea|DPRK|North Korean|Pyongyang
North Macedonia|Macedonia|Macedonian|Skopje
Norway||Norwegian|Oslo
Oman||Omani|Muscat
Pakistan||Pakistani|Islamabad
Palau||Palauan|
Palestine|Palestinian Territories|Palestinian|Ramallah
Panama||Panamanian|Panama City
Papua New Guinea||Papua New Guinean|Port Moresby
Paraguay||Paraguayan|Asuncion,Asunción
Peru||Peruvian|Lima
Philippines|The Philippines|Filipino,Philippine|Manila
Poland||Polish,Pole|Warsaw
Portugal||Portuguese|Lisbon
Qatar||Qatari|Doha
Romania||Romanian|Bucharest
Russia|Russian Federation|Russian|Moscow,Kremlin
Rwanda||Rwandan|Kigali
Saint Kitts and Nevis|||Basseterre
Saint Lucia||Saint Lucian|Castries
Saint Vincent and the Grenadines|||Kingstown
Samoa||Samoan|Apia
San Marino||Sammarinese|
Sao Tome and Principe|São Tomé and Príncipe||
Saudi Arabia||Saudi|Riyadh
Senegal||Senegalese|Dakar
Serbia||Serbian,Serb|Belgrade
Seychelles||Seychellois|
Sierra Leone||Sierra Leonean|Freetown
Singapore||Singaporean|
Slovakia||Slovak,Slovakian|Bratislava
Slovenia||Slovenian,Slovene|Ljubljana
Solomon Islands|||Honiara
Somalia||Somali|Mogadishu
South Africa||South African|Pretoria
South Korea|Republic of Korea|South Korean|Seoul
South Sudan||South Sudanese|Juba
Spain||Spanish,Spaniard|Madrid
Sri Lanka||Sri Lankan|Colombo
Sudan||Sudanese|Khartoum
Suriname||Surinamese|Paramaribo
Sweden||Swedish,Swede|Stockholm
Switzerland||Swiss|Bern
Syria||Syrian|Damascus
Taiwan||Taiwanese|Taipei
Tajikistan||Tajik|Dushanbe
Tanzania||Tanzanian|Dodoma
Thailand||Thai|Bangkok
Timor-Leste|East Timor|Timorese|Dili
Togo||Togolese|Lome,Lomé
Tonga||Tongan|Nuku'alofa
Trinidad and Tobago||Trinidadian|Port of Spain
Tunisia||Tunisian|Tunis
Turkey|Türkiye|Turkish,Turk|Ankara
Turkmenistan||Turkmen|Ashgabat
Tuvalu||Tuvaluan|Funafuti
Uganda||Ugandan|Kampala
Ukraine||Ukrainian|Kyiv,Kiev
United Arab Emirates|UAE,Emirates|Emirati|Abu Dhabi
United Kingdom|UK,U.K.,Britain,Great Britain|British,Briton|London,Downing Street,Whitehall
United States|US,U.S.,USA,U.S.A.,America,United States of America|American|Washington,White House
Uruguay||Uruguayan|Montevideo
Uzbekistan||Uzbek|Tashkent
Vanuatu||Ni-Vanuatu|Port Vila
Vatican City|Vatican,Holy See||
Venezuela||Venezuelan|Caracas
Vietnam|Viet Nam|Vietnamese|Hanoi
Yemen||Yemeni|Sanaa,Sana'a
Zambia||Zambian|Lusaka
Zimbabwe||Zimbabwean|Harare
"""

# well-known organisations: canonical | aliases
ORGANISATION_TABLE = """
NATO|North Atlantic Treaty Organization,North Atlantic Treaty Organisation
European Union|EU,E.U.
United Nations|UN,U.N.
UN Security Council|United Nations Security Council,Security Council
International Monetary Fund|IMF
World Bank|
World Trade Organization|WTO,World Trade Organisation
World Health Organization|WHO,World Health Organisation
European Commission|
European Central Bank|ECB
Federal Reserve|Fed,US Federal Reserve
OPEC|Organization of the Petroleum Exporting Countries
African Union|AU
ASEAN|Association of Southeast Asian Nations
International Criminal Court|ICC
International Court of Justice|ICJ
Red Cross|International Committee of the Red Cross,ICRC
Amnesty International|
Human Rights Watch|
G7|Group of Seven
G20|Group of 20,Group of Twenty
OSCE|Organization for Security and Co-operation in Europe
"""

# common given names, by the gender they usually carry (a few are both): one signal, among titles,
# spaCy's PERSON and the parse, that a two- or three-word name is a person and not a company, and
# the default for "he"/"she" when the article itself says nothing about the person
FEMALE_NAMES = frozenset("""
    Abigail Ada Adela Adele Adriana Agata Agnes Agnieszka Aida Aisha Alexandra Alice Alicia Alina Alison Amanda
    Amelia Amy Ana Anastasia Angela Angelika Anika Anita Anja Ann Anna Anne Annika Astrid Aylin Barbara
    Beatrice Beatrix Bettina Bianca Branka Bridget Camille Carla Carmen Caroline Catherine Cecilia Celia Charlotte Chloe Christina
    Christine Claire Clara Claudia Cristina Dagny Daniela Daria Deborah Diana Dora Edith Elena Eleni Elif Elin
    Elisa Elisabeth Elizabeth Ella Ellen Elsa Emilia Emily Emma Erika Esther Eva Evelyn Ewa Fatima Fiona
    Frances Francesca Freya Frida Gabriela Gisela Giulia Gloria Grace Greta Hana Hannah Hanne Heidi Helen Helena
    Helga Hilde Ilona Ilse Ilsa Ines Inga Inge Ingrid Irene Irina Iris Isabel Isabella Ivana Jana
    Jane Janet Janina Jessica Joanna Johanna Julia Juliette Karen Karin Karolina Kasia Katarina Kate Katharina Katherine
    Kathrin Katrin Kristina Laura Layla Lea Leila Lena Leonie Lidia Lilian Lina Linda Lisa Liv Lotte
    Louise Lucia Lucy Madeleine Magda Maja Malin Margaret Margit Maria Marie Marina Marit Marta Mary Maya
    Mei Melanie Mia Michelle Milena Mira Miriam Monika Nadia Nadine Naomi Natalia Natasha Nicole Nina Nora
    Olga Olivia Ottilie Paola Patricia Paula Petra Pia Rachel Rania Rebecca Rita Rosa Rose Ruth Sabine
    Salma Samira Sandra Sara Sarah Saska Selma Shira Silvia Simone Sofia Sophie Stefanie Stella Susan Susanne
    Svetlana Tamara Tanja Teresa Tove Ursula Valentina Valerie Vera Veronika Viola Wilhelmina Yara Yasmin Yusra Zainab
    Zofia Zoe
""".split())
MALE_NAMES = frozenset("""
    Aaron Abdul Abdullah Abel Adam Adrian Ahmad Ahmed Aidan Akira Alan Albert Alberto Aleksander Aleksandra Alessandro
    Alexander Alexei Alfred Ali Amir Anders Andre Andreas Andrei Andrew Andrzej Anthony Anton Antonio Arjun Arne
    Arthur Aurelio Axel Ben Benedict Benedikt Benjamin Bernard Bertil Bjorn Björn Bogdan Boris Bram Brian Bruno
    Carl Carlos Casimir Charles Christian Christopher Colin Corin Daniel Daniele Dario David Denis Diego Dimitri Dmitry
    Dominik Donald Dorian Douglas Eduard Edward Elias Emil Enrique Erik Ernst Fabian Farid Felix Filip Florian
    Francis Franco Frank Franz Friedrich Gabriel Georg George Gerhard Gianni Giuseppe Gordon Gunnar Gustav Hamid Hans
    Harald Harry Hassan Henri Henrik Henry Hugo Ian Idris Igor Ismail Ivan Ivo Jacob Jakob James
    Jasper Javier Jens Johan Johannes John Jonas Jonathan Jorge Joris Josef Joseph Juan Julian Jurgen Jürgen
    Justin Kamal Karim Karl Kenji Kevin Khalid Klaus Kurt Lars Leo Leon Lorenzo Lorne Louis Luca
    Ludwig Luis Luka Lukas Magnus Malik Manuel Marc Marco Marcus Marek Mario Mark Martin Mateo Matteo
    Matthew Matthias Max Mehmet Michael Michel Miguel Mikael Mikhail Milan Mohamed Mohammed Mustafa Nadim Nathan Nicholas
    Nicolas Niels Nikolai Nils Noah Norbert Olaf Oliver Omar Oscar Oskar Otto Pablo Patrick Paul Pavel
    Pedro Peter Petr Philip Philippe Pierre Pieter Piotr Rafael Rahul Rainer Ralf Ramon Raphael Reza Ricardo
    Richard Robert Roberto Rolf Roman Ruben Rudolf Ruslan Samir Samuel Saul Sebastian Sergei Sergey Simon Stefan
    Stephen Steven Sven Tarek Teodor Theo Theodor Thomas Tim Timo Tobias Tom Tomas Tomasz Ulrich Victor
    Viktor Vincent Vladimir Volodymyr Walter Werner Wilhelm William Wolfgang Xavier Yusuf Yuri
""".split())
GIVEN_NAMES = FEMALE_NAMES | MALE_NAMES | frozenset("""Alex Amal Andrea Jan Jean Kim Nicola Nikola""".split())

# the last word of a title: "Foreign Minister", "Chief Executive", "Secretary-General", "Mr"
TITLE_HEADS = frozenset("""
    president minister governor mayor executive secretary secretary-general chancellor commissioner
    director director-general chairman chairwoman chair chairperson envoy ambassador senator
    spokesperson spokesman spokeswoman leader commander admiral colonel captain mr mrs ms miss dr
    prof professor sir dame king queen prince princess pope premier judge justice congressman
    congresswoman representative rep sen gov lawmaker mp economist analyst chief head officer
    negotiator organiser organizer coordinator founder ceo cfo president-elect vice-president
    deputy lord lady sheikh emir sultan ayatollah cardinal bishop rabbi imam general
""".split())
# words that may precede a title's last word: "Foreign", "Prime", "Deputy", "Chief", "Energy"
TITLE_MODIFIERS = frozenset("""
    foreign defence defense finance trade interior labour labor energy industry digital environment
    environmental health economy economic justice education agriculture transport culture home prime
    deputy vice chief general acting former senior junior first opposition party attorney state
    national security affairs foreign-affairs interim executive managing supreme commanding army
    military secretary treasury development communications infrastructure housing employment
    social welfare science technology research innovation climate fisheries tourism sport
    sports immigration migration
""".split())
# words that make a name an organisation: "Korvath Steel", "Bank of Tessaly", "Green League"
ORG_HEADS = frozenset("""
    agency alliance association assembly authority bank bloc board brigade brigades bureau cabinet
    capital centre center chamber church club coalition college commission committee company
    confederation congress consortium corporation corp co council court department directorate
    economics energy federation forum foundation front fund group guard holdings inc industries
    institute institution league limited line lines ltd media ministry mission mobile motors
    movement network office organisation organization pact parliament partnership party petroleum
    police press resources secretariat service services society steel systems telecom terminals
    tribunal trust union university workers airlines airways arms bancorp brewery energies
    exchange grocers insurance investments labs laboratories logistics manufacturing markets
    mining minerals motor oil pharmaceuticals railways shipping solutions technologies
    commission army navy force forces guild partners hospital power greens marine
""".split())
# heads that keep "of" inside one organisation name: "Friends of the Earth", "Bank of Tessaly"
OF_HEADS = ORG_HEADS | frozenset("friends mothers fathers families veterans sons daughters children "
                                 "sisters brothers people citizens house ministry".split())
# words that are never a short name for an organisation on their own ("United Metalworkers")
GENERIC_NAME_WORDS = frozenset("""
    national united central international royal federal state first new northern southern eastern
    western north south east west coastal green blue red black white iron general democratic
    people's popular independent free social liberal conservative labour labor civic citizens
    citizens’ citizens' great grand global world european african asian american arab the
""".split())
# "Brunsvik City Council": the first word is a place, not a short name for the council
MUNICIPAL_WORDS = frozenset("city town county municipal regional provincial metropolitan district state".split())
# the last word of a place name that is not an actor: "Askar Valley", "Harrow Shelf"
PLACE_HEADS = frozenset("""
    valley river sea ocean shelf mountain mountains hills street square row road avenue bridge
    island islands bay coast gulf strait lake field fields plain plains desert forest peninsula
    region province district county crossing border airport station park canal
""".split())
# "the town of X", "X, a village": X is a place, not a state
PLACE_NOUNS = frozenset("""
    town city village port region province district county suburb municipality settlement
    hamlet borough neighbourhood neighborhood island valley
""".split())
# prepositions that make a capital a place ("in Kyiv") rather than the state ("support to Kyiv")
LOCATIVE_PREPS = frozenset("in at near outside inside around across through throughout into within "
                           "from beyond towards toward".split())
# verbs of movement: "flew to Kyiv", "visit Washington" (a place, not the state)
MOTION_VERBS = frozenset("go travel fly return come head move arrive visit trip journey leave reach "
                         "tour drive sail march cross flee".split())
# verbs whose object acts as a state: "urged Brenn to...", "accused Kerrow of..."
AGENT_OBJECT_VERBS = frozenset("urge accuse press warn thank criticise criticize blame ask call invite "
                               "sanction condemn praise demand pressure push lobby persuade".split())
# suffixes of demonyms, longest first: Veldr-ian, Gorvath-i, Drell-ish, Vosslan-dic, Valdmora-n
DEMONYM_SUFFIXES = ("ians", "ian", "eans", "ean", "ans", "an", "ese", "ish", "ic", "is", "i", "ns", "n", "s")
# endings of country names that a new name may carry ("Veldria", "Drelland", "Kazakhstan")
COUNTRY_SUFFIXES = ("ia", "land", "stan")
# institutions only a state has: "Pellwyn's foreign minister", "the government of Korvash" make a
# new single-word name a country (a city has a mayor and a council, a company a chief executive)
STATE_NOUNS = ("government", "parliament", "president", "presidency", "prime minister", "premier",
               "foreign minister", "defence minister", "defense minister", "interior minister",
               "finance minister", "foreign ministry", "defence ministry", "defense ministry", "foreign office",
               "cabinet", "armed forces", "army", "navy", "air force", "coast guard", "border guards",
               "border guard", "embassy", "ambassador", "head of state", "national assembly", "central bank")


@lru_cache(maxsize=4096)
def _state_pattern(name: str):
    nouns = "|".join(sorted(STATE_NOUNS, key=len, reverse=True))
    n = re.escape(name)
    return re.compile(rf"\b{n}['’]s (?:[a-z-]+ )?(?:{nouns})\b"
                      rf"|\b(?:government|parliament|president|prime minister|embassy|ambassador|armed forces) "
                      rf"(?:of|to) {n}\b|\bthe {n} (?:government|parliament|cabinet|armed forces|army|navy)\b")
# a lowercase noun right before a single new name that makes it an organisation ("the start-up Lumora")
ORG_DESCRIPTORS = frozenset("""
    company firm start-up startup carmaker automaker retailer bank lender group maker manufacturer
    producer operator insurer chain supplier broadcaster newspaper developer miner airline carrier
    charity agency organisation organization party union movement coalition alliance think-tank
    campaign network consultancy fund brand platform app label publisher rival competitor grocer
    supermarket insurer exporter importer shipper conglomerate subsidiary
""".split())
# continents, regions and sub-national areas: places, never a new country (an actors file may
# still list one, as seeds/actors.yaml does for Europe)
REGIONS = frozenset("""
    Africa Asia Europe Oceania Antarctica Arctic Antarctic Eurasia Australasia Scandinavia Siberia
    Patagonia Anatolia Arabia Mesopotamia Polynesia Melanesia Balkans Caucasus Sahara Sahel Levant
    Bavaria Catalonia Lombardy Cappadocia Transylvania California Pennsylvania Virginia Tasmania Galicia
    Andalusia Silesia Bohemia Moravia Dalmatia Calabria Cumbria Northumbria Crimea Donbas Kashmir
    Tibet Kurdistan Flanders Wallonia Scotland Wales England Ulster Gaza Darfur Tigray Amazonia
""".split())
MONTHS_DAYS = frozenset("""
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
""".split())
NER_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "LANGUAGE"}
CONNECTORS = {"of", "for", "and", "&", "de", "la", "van", "von", "der", "den", "du", "al", "bin", "el"}
ARTICLES = {"the", "The"}
# plurals that take 's inside a name: "People's Army", "Women's League", "Children's Fund"
IRREGULAR_PLURALS = frozenset("people women men children".split())
APOSTROPHES = {"’", "'"}
POSSESSIVES = {"’s", "'s", "’", "'"}
SUBJECT_DEPS = {"nsubj", "nsubjpass"}
PRONOUN_PERSON = {"he", "she", "him", "her"}


def doc_text(doc) -> str:
    """A parsed paragraph's text. spaCy rebuilds `Doc.text` from its tokens on every access,
    which the rules below read hundreds of times per article; it is kept in `user_data`."""
    text = doc.user_data.get("stancewatch_text")
    if text is None:
        text = doc.user_data["stancewatch_text"] = doc.text
    return text


@lru_cache(maxsize=4096)
def _place_pattern(name: str):
    return re.compile(r"\b(?:" + "|".join(PLACE_NOUNS) + r"|mayor) of (?:the )?" + re.escape(name) + r"\b"
                      r"|\b" + re.escape(name) + r",? (?:a|the|an)(?: \w+)? (?:" + "|".join(PLACE_NOUNS) + r")\b",
                      re.IGNORECASE)


def _table(text: str, n: int) -> list[list[list[str]]]:
    rows = []
    for line in text.strip().splitlines():
        parts = (line.split("|") + [""] * n)[:n]
        rows.append([[x.strip() for x in part.split(",") if x.strip()] for part in parts])
    return rows


def _plural(demonym: str) -> str | None:
    """Ukrainians, Israelis; none for French, Chinese, Swiss."""
    if demonym.endswith(("sh", "ch", "ese", "ss")):
        return None
    return demonym + "s"


class Gazetteer:
    """Real countries (names, aliases, demonyms, capitals) and well-known organisations."""

    def __init__(self):
        self.country: dict[str, str] = {}
        self.demonym: dict[str, str] = {}
        self.capital: dict[str, str] = {}
        self.organisation: dict[str, str] = {}
        for (name,), aliases, demonyms, capitals in (
                (r[0], r[1], r[2], r[3]) for r in _table(COUNTRY_TABLE, 4)):
            for a in [name, *aliases]:
                self.country[a] = name
                if a.startswith("The "):
                    self.country[a[4:]] = name
            for d in demonyms:
                self.demonym[d] = name
                pl = _plural(d)
                if pl:
                    self.demonym[pl] = name
            for c in capitals:
                self.capital[c] = name
        for (name,), aliases in ((r[0], r[1]) for r in _table(ORGANISATION_TABLE, 2)):
            for a in [name, *aliases]:
                self.organisation[a] = name


GAZETTEER = Gazetteer()


# ---- the actors file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ActorEntry:
    name: str
    type: str
    role: str = ""
    aliases: tuple[str, ...] = ()


def load_actors_file(path: Path | None) -> list[ActorEntry]:
    """The actors file: a YAML list of {name, type, aliases, role}. Missing file: no entries."""
    if path is None or not Path(path).exists():
        return []
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise ValueError(f"the actors file {path} is not valid YAML: {exc}") from None
    if isinstance(data, dict):
        data = data.get("actors", [data])
    if not isinstance(data, list):
        raise ValueError(f"the actors file {path} must be a list of entries with name, type and aliases")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise ValueError(f"the actors file {path}: entry {i + 1} has no name")
        typ = str(item.get("type", "organisation")).strip().lower()
        typ = {"organization": "organisation", "org": "organisation", "gpe": "country"}.get(typ, typ)
        if typ not in ACTOR_TYPES:
            raise ValueError(f"the actors file {path}: {item['name']!r} has type {typ!r}; "
                             f"use one of {', '.join(ACTOR_TYPES)}")
        aliases = item.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        out.append(ActorEntry(str(item["name"]).strip(), typ, str(item.get("role", "") or "").strip(),
                              tuple(str(a).strip() for a in aliases if str(a).strip())))
    return out


def load_nlp(spec):
    import spacy

    try:
        return spacy.load(spec.resolved_path())
    except OSError as exc:
        raise RuntimeError(f"could not load the spaCy pipeline {spec.name_or_path!r}: {exc}") from None


# ---- chunks: proper-noun runs from the parse -----------------------------------------------------

@dataclass
class Piece:
    """A candidate name in one paragraph: its text, offsets, tokens and what it was split from."""

    para: int  # position in article.paragraphs
    text: str
    start: int
    end: int
    tok_start: int
    tok_end: int  # exclusive
    labels: Counter = field(default_factory=Counter)
    role: str = ""  # a title split off the front ("Foreign Minister")
    role_pos: str = ""  # "title" | "lower" (a lowercase role word before the name)
    left: "Piece | None" = None  # what came before a title or after "of": "Marrowenian", "Vossland"
    in_quote: bool = False
    possessive: bool = False  # followed by 's
    before_title: bool = False  # "Halvenian" in "Halvenian Defence Minister X"
    person_hint: bool = False  # "X of the Y Office", "X of Y's ministry": X is a person
    actor: str = ""
    kind: str = ""

    @property
    def words(self) -> list[str]:
        return self.text.split()


def _is_cap(tok) -> bool:
    t = tok.text
    if not t or not t[0].isupper():
        return False
    if t.lower() in MONTHS_DAYS or (tok.ent_type_ in ("DATE", "TIME", "MONEY", "PERCENT", "CARDINAL",
                                                      "ORDINAL", "QUANTITY") and tok.tag_ not in ("NNP", "NNPS")):
        return False
    if tok.tag_ in ("NNP", "NNPS") or tok.ent_type_ in NER_LABELS:
        return True
    if tok.is_sent_start or (tok.i > 0 and tok.nbor(-1).text in ("“", '"', "‘", "(", ":")):
        if t.lower() in OF_HEADS and tok.i + 2 < len(tok.doc) and tok.nbor(1).text in ("of", "for"):
            return True
        return tok.tag_ in ("JJ",) and len(t) > 3 and not tok.is_stop
    return tok.tag_.startswith(("NN", "JJ", "VBN", "VBG")) or tok.tag_ == "FW"


def _units(doc):
    """Tokens with hyphenated compounds merged: Secretary - General -> one unit."""
    units, i, n = [], 0, len(doc)
    while i < n:
        j = i
        while (j + 2 < n and doc[j + 1].text in ("-", "–") and not doc[j].whitespace_
               and not doc[j + 1].whitespace_ and doc[j + 2].text[:1].isalpha()):
            j += 2
        units.append((i, j + 1))
        i = j + 1
    return units


def chunk_doc(doc, para: int) -> list[Piece]:
    """Capitalised runs joined over connectors and plural possessives (before splitting)."""
    pieces: list[Piece] = []
    units = _units(doc)

    def cap(u):
        return _is_cap(doc[u[0]])

    k = 0
    while k < len(units):
        if not cap(units[k]):
            k += 1
            continue
        run = [units[k]]
        k += 1
        while k < len(units):
            u = units[k]
            tok = doc[u[0]]
            if cap(u):
                run.append(u)
                k += 1
                continue
            # plural possessive inside a name: Dockworkers’ Union
            prev = doc[run[-1][1] - 1]
            if (tok.text in APOSTROPHES and prev.text.endswith("s") and not prev.whitespace_
                    and k + 1 < len(units) and cap(units[k + 1])):
                run.append(u)
                k += 1
                continue
            # "Farmers’ and Fishers’ League": a plural possessive, then "and" and another name word
            if (tok.text in APOSTROPHES and prev.text.endswith("s") and not prev.whitespace_
                    and k + 2 < len(units) and doc[units[k + 1][0]].text == "and" and cap(units[k + 2])):
                run.extend(units[k:k + 2])
                k += 2
                continue
            # "People’s Army", "Women’s League": the 's of an irregular plural inside a name
            if (tok.text in ("’s", "'s") and prev.text.lower() in IRREGULAR_PLURALS and not prev.whitespace_
                    and k + 1 < len(units) and cap(units[k + 1])):
                run.append(u)
                k += 1
                continue
            # connectors: of, of the, for, and, de ...
            if tok.text.lower() in CONNECTORS and tok.text.islower():
                nxt = k + 1
                if nxt < len(units) and doc[units[nxt][0]].text in ("the",) and tok.text in ("of", "for"):
                    nxt += 1
                if nxt < len(units) and cap(units[nxt]):
                    run.extend(units[k:nxt])
                    k = nxt
                    continue
            break
        s, e = run[0][0], run[-1][1]
        # "Peace Now Drumlinn, a small party, ...": a sentence-initial common noun that the parser
        # makes a compound of the name is the name's first word, not a sentence-opening noun
        first = doc[s - 1] if s > 0 else None
        if (first is not None and first.is_sent_start and first.text[:1].isupper() and not first.is_stop
                and first.tag_ in ("NN", "NNS") and first.dep_ == "compound" and s <= first.head.i < e
                and first.whitespace_ and first.text.lower() not in MONTHS_DAYS):
            s -= 1
        span = doc[s:e]
        labels = Counter(t.ent_type_ for t in span if t.ent_type_)
        piece = Piece(para, span.text, span.start_char, span.end_char, s, e, labels)
        piece.possessive = e < len(doc) and doc[e].text in ("’s", "'s")
        if piece.possessive is False and e < len(doc) and doc[e].text in APOSTROPHES and span.text.endswith("s"):
            piece.possessive = True
        pieces.append(piece)
    return pieces


def _sub(doc, p: Piece, s: int, e: int) -> Piece:
    span = doc[s:e]
    q = Piece(p.para, span.text, span.start_char, span.end_char, s, e,
              Counter(t.ent_type_ for t in span if t.ent_type_))
    q.possessive = p.possessive if e == p.tok_end else False
    return q


def _strip(doc, p: Piece) -> Piece | None:
    s, e = p.tok_start, p.tok_end
    while s < e and (doc[s].text in ARTICLES or doc[s].text in APOSTROPHES or doc[s].text.lower() in CONNECTORS):
        s += 1
    while e > s and (doc[e - 1].text in POSSESSIVES or doc[e - 1].text.lower() in CONNECTORS
                     or doc[e - 1].text == "the" or doc[e - 1].is_punct):
        e -= 1
    if e <= s:
        return None
    if (s, e) == (p.tok_start, p.tok_end):
        return p
    return _sub(doc, p, s, e)


def _low(w: str) -> str:
    """'Prof.' -> 'prof', "Dockworkers’" -> 'dockworkers'."""
    return w.lower().rstrip("’'.")


def split_piece(doc, p: Piece) -> list[Piece]:
    """'and' lists, 'X of Y' where X is no organisation, and a leading title."""
    toks = list(range(p.tok_start, p.tok_end))
    words = [doc[i].text for i in toks]
    last_org = _low(words[-1]) in ORG_HEADS
    # "Marrowen and Ostravia" is two names; "Shop and Service Workers' Union" is one
    of_head = any(doc[t].text == "of" and _low(doc[toks[i - 1]].text) in OF_HEADS for i, t in enumerate(toks) if i)
    for i, t in enumerate(toks):
        if doc[t].text in ("and", "&") and not last_org and not of_head:
            a, b = _sub(doc, p, p.tok_start, t), _sub(doc, p, t + 1, p.tok_end)
            return [x for part in (a, b) if (y := _strip(doc, part)) for x in split_piece(doc, y)]
    # "Nils Aberg of Teskar": two names; "Bank of Tessaly", "Mothers of the Missing": one
    for i, t in enumerate(toks):
        if doc[t].text in ("of", "for") and i > 0:
            before = {_low(doc[x].text) for x in toks[:i]}
            # "Eberhard Mosweu of the Tarvascan Climate Coalition": the parser's PERSON before "of"
            after = [doc[x].text for x in toks[i + 1:] if doc[x].text not in ARTICLES]
            # "Nkechi Abara-Lindqvist of the Ostral Mediation Office", "X of Tesqa's foreign ministry":
            # a name with no organisation word before "of" and a whole organisation (or an owner) after it
            owner_after = bool(after) and (_low(after[-1]) in ORG_HEADS or p.possessive)
            of_person = owner_after and 2 <= i <= 4 and not before & ORG_HEADS
            person_like = (bool(before & TITLE_HEADS) or doc[toks[0]].text in GIVEN_NAMES
                           or all(doc[x].ent_type_ == "PERSON" for x in toks[:i])
                           or of_person)
            if before & OF_HEADS or p.labels.get("ORG", 0) > len(toks) / 2 and not person_like:
                break
            a, b = _sub(doc, p, p.tok_start, t), _sub(doc, p, t + 1, p.tok_end)
            a, b = _strip(doc, a), _strip(doc, b)
            out = split_piece(doc, a) if a else []
            if out and out[0] is not None and of_person:
                out[0].person_hint = True
            if b:
                for y in split_piece(doc, b):
                    out.append(y)
                if out and out[0] is not None:
                    out[0].left = out[0].left or b  # affiliation: "President X of Vossland"
            return out
    # a leading title: [left] title... name
    for i, t in enumerate(toks):
        w = _low(doc[t].text)
        if w in TITLE_HEADS or w in TITLE_MODIFIERS:
            j = i
            while j < len(toks) and (_low(doc[toks[j]].text) in TITLE_HEADS | TITLE_MODIFIERS
                                     or doc[toks[j]].text in ("-", "–")):
                j += 1
            last = _low(doc[toks[j - 1]].text)
            if last in TITLE_HEADS and j < len(toks) and not ({_low(doc[x].text) for x in toks[j:]} & ORG_HEADS):
                name = _sub(doc, p, toks[j], p.tok_end)
                name.role = doc[toks[i]:toks[j - 1] + 1].text
                name.role_pos = "title"
                out = []
                if i > 0:
                    left = _strip(doc, _sub(doc, p, p.tok_start, toks[i]))
                    if left:
                        left.before_title = True
                        out.append(left)
                        name.left = left
                out.append(name)
                return out
            break
    return [p]


# ---- demonyms ----------------------------------------------------------------------------------

def demonym_stems(word: str) -> list[str]:
    return [word[: -len(s)] for s in DEMONYM_SUFFIXES if word.endswith(s) and len(word) - len(s) >= 3]


def demonym_of(word: str, countries) -> str | None:
    """The country a demonym names, by suffix rules: Veldrian -> Veldria, Drellish -> Drelland."""
    if word in countries:
        return None
    best = None
    for stem in demonym_stems(word):
        for c in countries:
            if c.startswith(stem) and len(c) - len(stem) <= 4 and c != word:
                if best is None or len(c) < len(best):
                    best = c
        if best:
            return best
    return None


# ---- the extractor -----------------------------------------------------------------------------

@dataclass
class _Article:
    """Article-level tables built while resolving names."""

    persons: dict[str, str] = field(default_factory=dict)  # full name -> canonical
    surnames: dict[str, list[tuple[tuple[int, int], str]]] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)  # name or alias -> canonical
    countries: dict[str, str] = field(default_factory=dict)  # name -> canonical
    roles: dict[str, str] = field(default_factory=dict)
    affiliation: dict[str, str] = field(default_factory=dict)  # person -> country


class ActorExtractor:
    """Mentions of canonical actors per sentence. `extract(article, docs, sentences)`."""

    def __init__(self, actors_file: Path | None = None, remember: bool = True):
        self.actors_file = actors_file
        self.entries = load_actors_file(actors_file)
        self.file_alias: dict[str, ActorEntry] = {}
        for e in self.entries:
            for a in (e.name, *e.aliases):
                self.file_alias[a] = e
        self.remember = remember
        self.corpus_people: dict[str, str] = {}  # surname -> full name seen in earlier articles
        for e in self.entries:
            if e.type == "person" and len(e.name.split()) > 1:
                self.corpus_people.setdefault(e.name.split()[-1], e.name)
        self.gaz = GAZETTEER

    # ---- public ----
    def extract(self, article: Article, docs: list, sentences: list[list[Sentence]]) -> list[Mention]:
        from .quotes import quote_spans

        pieces: list[Piece] = []
        quotes = [quote_spans(p.text) for p in article.paragraphs]
        for k, doc in enumerate(docs):
            for raw in chunk_doc(doc, k):
                p = _strip(doc, raw)
                if p is None:
                    continue
                for q in split_piece(doc, p):
                    if q is None or not q.text[:1].isupper():
                        continue
                    q.in_quote = any(s <= q.start < e for s, e, *_ in quotes[k])
                    pieces.append(q)
                    if q.left is not None:
                        q.left.in_quote = q.in_quote
        pieces = self._dedupe(pieces)
        art = _Article()
        self._people(docs, pieces, art)
        self._organisations(docs, pieces, art)
        self._countries(docs, pieces, art)
        self._org_aliases(docs, pieces, art)
        resolved = [p for p in pieces if self._resolve(p, art)]
        self._affiliations(docs, resolved, art)
        self._capitals(docs, pieces, art, resolved, [p.is_heading for p in article.paragraphs])
        resolved = [p for p in pieces if p.actor]
        resolved.extend(self._scan(article, docs, resolved, art, pieces))
        self._remember(art)
        return self._mentions(article, sentences, resolved, art)

    # ---- steps ----
    @staticmethod
    def _dedupe(pieces):
        out, seen = [], set()
        for p in pieces:
            for q in (p.left, p):
                if q is not None and (q.para, q.start, q.end) not in seen:
                    seen.add((q.para, q.start, q.end))
                    out.append(q)
        out.sort(key=lambda p: (p.para, p.start))
        return out

    def _file(self, text: str) -> ActorEntry | None:
        e = self.file_alias.get(text)
        if e is None and text.startswith("The "):
            e = self.file_alias.get(text[4:])
        return e

    def _is_person_name(self, docs, p: Piece) -> bool:
        words = p.words
        lw = {_low(w) for w in words}
        if lw & ORG_HEADS or lw & PLACE_HEADS or any(w.isupper() and len(w) > 1 for w in words):
            return False
        if self._file(p.text) is not None:
            return self._file(p.text).type == "person"
        if p.text in self.gaz.country or p.text in self.gaz.organisation or p.text in self.gaz.demonym:
            return False
        if len(words) < 2 or len(words) > 4:
            return False
        if p.role_pos == "title" or words[0] in GIVEN_NAMES or p.person_hint:
            return True
        if self._described_as_org(docs[p.para], p):  # "Peace Now Drumlinn, a small pacifist party,"
            return False
        doc = docs[p.para]
        prev = doc[p.tok_start - 1] if p.tok_start > 0 else None
        if prev is not None and prev.text.islower() and prev.text in TITLE_HEADS:
            return True
        # "Lumiq's chief executive, Marc-Antoine Vasseur-Obi, said": a title in apposition before the name
        if (prev is not None and prev.text == "," and p.tok_start > 1 and doc[p.tok_start - 2].text.islower()
                and doc[p.tok_start - 2].text in TITLE_HEADS):
            return True
        if p.tok_end < len(doc) and doc[p.tok_end].text == ",":  # "Edvard Rask, leader of the …"
            nxt = [t for t in doc[p.tok_end + 1:p.tok_end + 5]]
            if nxt and (nxt[0].lower_ == "who" or nxt[0].like_num):  # "X, who leads …", "X, 54, …"
                return True
            for t in nxt:
                if t.text.islower() and t.text in TITLE_HEADS:
                    return True
                if t.text.islower() and t.pos_ not in ("DET", "ADJ", "NOUN"):
                    break
        head = doc[p.tok_end - 1]
        if head.dep_ in SUBJECT_DEPS:  # "Jonah Pell said he had not decided"
            for c in head.head.children:
                if c.dep_ == "ccomp" and any(g.dep_ in SUBJECT_DEPS and g.lower_ in ("he", "she") for g in c.children):
                    return True
        return p.labels.get("PERSON", 0) * 2 > sum(p.labels.values()) > 0 and all(w[:1].isupper() for w in words)

    def _people(self, docs, pieces, art: _Article) -> None:
        for p in pieces:
            if not self._is_person_name(docs, p):
                continue
            full = p.text
            f = self._file(full)
            canon = f.name if f else full
            art.persons[full] = canon
            art.surnames.setdefault(full.split()[-1], []).append(((p.para, p.start), canon))
            if p.role and canon not in art.roles:
                art.roles[canon] = p.role
            prev = docs[p.para][p.tok_start - 1] if p.tok_start > 0 else None
            if not p.role and prev is not None and prev.text.islower() and prev.text in TITLE_HEADS:
                art.roles.setdefault(canon, prev.text)
        # a longer name with the same first and last word wins ("Donald J. Trump")
        for full in list(art.persons):
            w = full.split()
            for other in art.persons:
                ow = other.split()
                if other != full and ow[0] == w[0] and ow[-1] == w[-1] and len(ow) > len(w):
                    art.persons[full] = art.persons[other]

    def _organisations(self, docs, pieces, art: _Article) -> None:
        for p in pieces:
            if p.text in art.persons or p.text in self.gaz.country or p.text in self.gaz.demonym:
                continue
            words = p.words
            lw = [_low(w) for w in words]
            f = self._file(p.text)
            if f is not None:
                if f.type == "organisation":
                    art.orgs[p.text] = f.name
                continue
            if p.text in self.gaz.organisation:
                art.orgs[p.text] = self.gaz.organisation[p.text]
                continue
            if lw[-1] in PLACE_HEADS:
                continue
            is_org = bool(set(lw) & ORG_HEADS) and not (len(words) == 1 and lw[0] in ORG_HEADS)
            is_org = is_org or any(w == "of" and lw[i - 1] in OF_HEADS for i, w in enumerate(lw) if i)
            if not is_org and len(words) >= 2 and not p.role:
                is_org = p.labels.get("ORG", 0) * 2 >= sum(p.labels.values()) > 0
            if is_org and self._place_evidence(docs, pieces, p.text):
                continue
            if not is_org and (len(words) == 1 or not p.role) and self._described_as_org(docs[p.para], p):
                is_org = True
            elif not is_org or len(words) < 2:
                continue
            canon = art.orgs.get(p.text, p.text)
            art.orgs[p.text] = canon
    def _org_aliases(self, docs, pieces, art: _Article) -> None:
        """Aliases: "Name (ABC)", initials, the first word, and a shorter tail ("the Foreign Ministry")."""
        names = [n for n, c in art.orgs.items() if n == c and len(n.split()) >= 2]
        countries = set(art.countries.values())
        for k, doc in enumerate(docs):
            text = doc_text(doc)
            for name in names:
                for m in re.finditer(re.escape(name) + r"\s*\(([A-Z][A-Za-z.&]{1,9})\)", text):
                    art.orgs.setdefault(m.group(1), name)
        firsts = Counter(n.split()[0] for n in names)
        for name in names:
            words = name.split()
            initials = "".join(w[0] for w in words if w[0].isupper())
            if len(initials) >= 2:
                art.orgs.setdefault(initials, name)
            first = words[0]
            if (_low(first) not in GENERIC_NAME_WORDS and _low(first) not in ORG_HEADS | TITLE_MODIFIERS
                    and first not in self.gaz.demonym and first not in self.gaz.country
                    and first not in art.countries and not demonym_of(first, countries)
                    and firsts[first] == 1 and _low(words[1]) not in PLACE_NOUNS | MUNICIPAL_WORDS
                    and not self._place_evidence(docs, pieces, first)):
                art.orgs.setdefault(first, name)
            if len(words) >= 3 and _low(words[-1]) in ORG_HEADS:
                tail = " ".join(words[1:])
                art.orgs.setdefault(tail, name)
        # an acronym spaCy calls an organisation, that no name of the article explains, is one
        for p in pieces:
            if (p.text.isupper() and len(p.text) >= 2 and p.text not in art.orgs and self._file(p.text) is None
                    and p.text not in self.gaz.country and p.labels.get("ORG", 0) == len(p.words)):
                art.orgs[p.text] = p.text

    @staticmethod
    def _described_as_org(doc, p: Piece) -> bool:
        """'the start-up Lumora', 'Watchlight, a monitoring group,': a new name described as a body."""
        before = doc_text(doc)[max(0, p.start - 30):p.start].lower()
        if re.search(r"\b(?:" + "|".join(re.escape(w) for w in ORG_DESCRIPTORS) + r")\s+$", before):
            return True
        after = doc_text(doc)[p.end:p.end + 60].lower()
        # "Clear Sky Koruvia, the country's largest environmental group,"
        m = re.match(r"(?:’s|'s)?,\s+(?:a|an|the)\s+((?:[\w’'-]+\s+){0,3}?[\w-]+)[,.]", after)
        return bool(m and m.group(1).split()[-1] in ORG_DESCRIPTORS)

    def _countries(self, docs, pieces, art: _Article) -> None:
        """Known countries, then new single-word names that a demonym of the article points to, that
        end like a country's name, or that have a state's institutions (STATE_NOUNS)."""
        single = [p for p in pieces if len(p.words) == 1]
        for p in pieces:
            f = self._file(p.text)
            if f is not None and f.type == "country":
                art.countries[p.text] = f.name
            elif p.text in self.gaz.country:
                art.countries[p.text] = self.gaz.country[p.text]
        names = {p.text for p in single if p.text not in art.persons and p.text not in art.orgs
                 and p.text not in REGIONS
                 and p.text not in self.gaz.demonym and self._file(p.text) is None
                 and not p.text.isupper() and p.text not in self.gaz.capital}
        surnames = set(art.surnames)
        names -= surnames
        # every capitalised word in the article (org names included) may be a demonym
        words = {w.strip("’'") for doc in docs for w in (t.text for t in doc) if w[:1].isupper()}
        for n in sorted(names):
            # a plural of the name ("the Kestrels": the drones) is no demonym of it
            derived = any(demonym_of(w, [n]) == n and not (demonym_of(n, [w]) == w and len(n) > len(w))
                          for w in words if w != n and w != n + "s")
            evidence = self._place_evidence(docs, pieces, n)
            state = any(_state_pattern(n).search(doc_text(doc)) for doc in docs)
            shared = self._shared_name_word(pieces, n) >= 2
            if (derived or (n.endswith(COUNTRY_SUFFIXES) and not evidence) or (state and not evidence)
                    or (shared and not evidence)):
                art.countries[n] = n
        # demonyms of new countries: "Marrowenian" -> Marrowen
        new = [c for c in art.countries.values()]
        for p in single:
            if p.text in art.countries or p.text in art.persons or p.text in art.orgs:
                continue
            c = demonym_of(p.text, new)
            if c:
                art.countries[p.text] = c
            elif p.before_title and p.text not in self.gaz.demonym and p.text.endswith("an") and len(p.text) > 5:
                # "Halvenian Defence Minister": a state the article never names -> Halvenia
                art.countries[p.text] = p.text[:-1]

    @staticmethod
    def _shared_name_word(pieces, n: str) -> int:
        """In how many different ways a single word names other bodies: "Szolvany Business Federation"
        and "Szolvany Greens", or "Lomvira Competition Commission" and "Green Rivers Lomvira", make
        Szolvany and Lomvira the place those bodies belong to; "Pasak Power" and "Pasak Power
        Employees' Union" (the same next word) do not."""
        contexts = set()
        for q in pieces:
            w = q.words
            if len(w) < 2 or q.role:
                continue
            if w[0] == n:
                contexts.add(("next", w[1]))
            for i in range(1, len(w)):
                if w[i] == n:
                    contexts.add(("prev", w[i - 1]))
        return len(contexts)

    @staticmethod
    def _locative(tok) -> bool:
        head = tok.head
        if tok.dep_ == "pobj" and head.lower_ in LOCATIVE_PREPS:
            return True
        if tok.dep_ == "pobj" and head.lower_ == "to" and head.head.lemma_ in MOTION_VERBS:
            return True
        if tok.dep_ in ("dobj", "npadvmod") and head.lemma_ in MOTION_VERBS:
            return True
        if tok.dep_ == "compound" and head.lower_ in PLACE_HEADS:
            return True
        return False

    @staticmethod
    def _place_evidence(docs, pieces, name) -> bool:
        pat = _place_pattern(name)
        return any(pat.search(doc_text(doc)) for doc in docs)

    def _resolve(self, p: Piece, art: _Article) -> bool:
        t = p.text
        f = self._file(t)
        if f is not None:
            p.actor, p.kind = f.name, f.type
        elif t in art.persons:
            p.actor, p.kind = art.persons[t], "person"
        elif t in art.orgs:
            p.actor, p.kind = art.orgs[t], "organisation"
        elif t in self.gaz.country:
            p.actor, p.kind = self.gaz.country[t], "country"
        elif t in self.gaz.demonym:
            p.actor, p.kind = self.gaz.demonym[t], "country"
        elif t in self.gaz.organisation:
            p.actor, p.kind = self.gaz.organisation[t], "organisation"
        elif t in art.countries:
            p.actor, p.kind = art.countries[t], "country"
        elif len(p.words) == 1 and t in art.surnames:
            p.actor, p.kind = self._nearest(art.surnames[t], (p.para, p.start)), "person"
        elif len(p.words) == 1 and (p.role_pos == "title") and self.remember and t in self.corpus_people:
            p.actor, p.kind = self.corpus_people[t], "person"
        elif len(p.words) == 1 and p.role_pos == "title" and _low(p.role.split()[-1]) in {"mr", "mrs", "ms", "dr"}:
            p.actor, p.kind = t, "person"
        return bool(p.actor)

    @staticmethod
    def _affiliations(docs, resolved, art: _Article) -> None:
        """A person's country: "Marrowenian Foreign Minister X", "X of Vossland", "Ostravia's ..., X"."""
        for i, p in enumerate(resolved):
            if p.kind != "person" or p.actor in art.affiliation:
                continue
            if p.left is not None and p.left.kind == "country":
                art.affiliation[p.actor] = p.left.actor
                continue
            for q in reversed(resolved[max(0, i - 3):i]):
                if q.para == p.para and q.kind == "country" and q.possessive and 0 < p.tok_start - q.tok_end <= 6:
                    art.affiliation[p.actor] = q.actor
                    break

    @staticmethod
    def _nearest(cands, pos):
        before = [c for c in cands if c[0] <= pos]
        return (before[-1] if before else cands[0])[1]

    def _capitals(self, docs, pieces, art: _Article, resolved, headings: list[bool]) -> None:
        """Capitals acting as states: known ones (Kyiv) and unseen ones (Kelmont said ...)."""
        countries = Counter(p.actor for p in resolved if p.kind == "country")
        lower_words = {t.text for doc in docs for t in doc if t.text.islower()}
        last_words = {q.words[-1] for q in pieces if len(q.words) > 1}  # "Waszak" of "Jurek Waszak"
        for p in pieces:
            if p.actor or len(p.words) != 1:
                continue
            tok = docs[p.para][p.tok_end - 1]
            if p.text in self.gaz.capital:
                if not self._locative(tok):
                    p.actor, p.kind = self.gaz.capital[p.text], "country"
                continue
            if (p.in_quote or not countries or p.text.isupper() or p.text in GIVEN_NAMES
                    or headings[p.para] or p.text.lower() in lower_words or p.text in last_words
                    or self._place_evidence(docs, pieces, p.text)
                    or _low(p.text) in GENERIC_NAME_WORDS | ORG_HEADS | TITLE_HEADS | TITLE_MODIFIERS):
                continue
            if not self._agentive(tok) or tok.is_stop or tok.tag_ not in ("NNP", "NNPS"):
                continue
            country = self._capital_pattern(docs, p.text, art) or self._speaker_country(docs, p, resolved, art)
            p.actor, p.kind = country or countries.most_common(1)[0][0], "country"

    @staticmethod
    def _agentive(tok) -> bool:
        if tok.dep_ in SUBJECT_DEPS and tok.head.pos_ in ("VERB", "AUX"):
            return True
        if tok.dep_ == "poss":
            return True
        return tok.dep_ == "dobj" and tok.head.lemma_ in AGENT_OBJECT_VERBS

    def _capital_pattern(self, docs, name, art) -> str | None:
        pat = re.compile(re.escape(name) + r",? the (\w+)(?:’s|'s)? capital|(\w+)(?:’s|'s)? capital,? " + re.escape(name))
        for doc in docs:
            m = pat.search(doc_text(doc))
            if m:
                w = m.group(1) or m.group(2)
                return art.countries.get(w) or self.gaz.country.get(w) or self.gaz.demonym.get(w)
        return None

    def _speaker_country(self, docs, p: Piece, resolved, art) -> str | None:
        """'Kask said Kelmont would not sign': a speaker names their own state by its capital."""
        tok = docs[p.para][p.tok_end - 1]
        clause = tok.head
        if clause.dep_ != "ccomp":
            return None
        verb = clause.head
        subj = next((c for c in verb.children if c.dep_ in SUBJECT_DEPS), None)
        if subj is None:
            return None
        person = None
        if subj.lower_ in PRONOUN_PERSON:
            before = [r for r in resolved if r.kind == "person" and not r.in_quote
                      and (r.para, r.start) < (p.para, subj.idx)]
            person = before[-1].actor if before else None
        else:
            person = next((r.actor for r in resolved if r.para == p.para and r.kind == "person"
                           and r.start <= subj.idx < r.end), None)
        return art.affiliation.get(person) if person else None

    def _scan(self, article, docs, resolved, art, pieces) -> list[Piece]:
        """Known names the chunker missed (a bare surname in a heading, an alias of the file)."""
        table: dict[str, tuple[str, str]] = {}
        for k, v in art.countries.items():
            table[k] = (v, "country")
        for k, v in art.orgs.items():
            table[k] = (v, "organisation")
        for k, v in art.persons.items():
            table[k] = (v, "person")
        for k in art.surnames:
            table.setdefault(k, (None, "person"))
        for k, e in self.file_alias.items():
            table[k] = (e.name, e.type)
        if not table:
            return []
        pat = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
                         + r")(?![\w])")
        out = []
        covered = {}
        for r in resolved:
            covered.setdefault(r.para, []).append((r.start, r.end))
        for r in pieces:  # inside a longer name that is no actor ("the Askar Valley")
            if not r.actor and len(r.words) > 1:
                covered.setdefault(r.para, []).append((r.start, r.end))
        for k, (doc, para) in enumerate(zip(docs, article.paragraphs)):
            spans = covered.get(k, [])
            for m in pat.finditer(doc_text(doc)):
                s, e = m.span()
                if any(a < e and s < b for a, b in spans):
                    continue
                name, kind = table[m.group(1)]
                if name is None:
                    name = self._nearest(art.surnames[m.group(1)], (k, s))
                span = doc.char_span(s, e, alignment_mode="expand")
                if span is None:
                    continue
                # inside a longer capitalised name that is not an actor ("Korvath plant" is fine)
                q = Piece(k, m.group(1), s, e, span.start, span.end, actor=name, kind=kind)
                out.append(q)
                spans.append((s, e))
        return out

    def _remember(self, art: _Article) -> None:
        for full, canon in art.persons.items():
            if len(canon.split()) > 1:
                self.corpus_people[canon.split()[-1]] = canon

    def _mentions(self, article, sentences, resolved, art) -> list[Mention]:
        # affiliation and roles first
        out = []
        for p in sorted(resolved, key=lambda p: (p.para, p.start)):
            para = article.paragraphs[p.para]
            sents = sentences[p.para] if p.para < len(sentences) else []
            si = next((s.index for s in sents if s.start <= p.start < s.end),
                      sents[-1].index if sents else 0)
            role = ""
            if p.kind == "person":
                f = self.file_alias.get(p.actor)
                role = art.roles.get(p.actor) or (f.role if f else "")
            out.append(Mention(article.article_id, para.index, si, p.actor, p.kind, p.text, p.start, p.end, role))
        return out
