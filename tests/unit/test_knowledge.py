"""Knowledge sources: the thesaurus and dictionary readers, the graph
embedding, what each language gets, and projects in German, French and Dutch
whose rare words find their neighbours in general knowledge of their own
language."""
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lumiwork.engine import background as background_space
from lumiwork.engine import build_model
from lumiwork.engine.evaluation import neighbour_lemmas
from lumiwork.engine.knowledge import graph, thesaurus, translation

CACHE = Path(os.environ["LUMIWORK_BACKGROUND_DIR"])


def test_thesaurus_reader_drops_notes_and_opposites(tmp_path):
    path = tmp_path / "th_test.dat"
    path.write_text("UTF-8\n"
                    "boat|2\n"
                    "(noun)|ship (generic term)|vessel|dinghy (similar term)|the big (very big) old ship of state\n"
                    "(verb)|sail|row (informal)|stay ashore (antonym)\n"
                    "Fluss|1\n"
                    "-|Strom|Wasserlauf (fachspr.)|See (Gegenteil)\n", encoding="utf-8")
    found = list(thesaurus.entries(path))
    assert found == [("boat", ["ship", "vessel", "dinghy"]), ("boat", ["sail", "row"]),
                     ("Fluss", ["Strom", "Wasserlauf"])]
    assert ("fluss", "strom") in set(thesaurus.pairs(path))


def test_thesaurus_reader_reads_latin1_files(tmp_path):
    path = tmp_path / "th_es.dat"
    path.write_bytes("ISO8859-1\nrío|1\n-|arroyo|afluente\n".encode("latin-1"))
    assert list(thesaurus.entries(path)) == [("río", ["arroyo", "afluente"])]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=60))
def test_adjacency_is_symmetric_binary_without_self_links(pairs):
    matrix = graph.adjacency(pairs, 20).toarray()
    assert (matrix == matrix.T).all() and set(np.unique(matrix)) <= {0.0, 1.0}
    assert not np.diag(matrix).any()
    for a, b in pairs:
        assert matrix[a, b] == (a != b)


def test_random_projection_embedding_puts_linked_words_together():
    # Two cliques of five words and one word linked to nothing.
    blocks = [[(i, j) for i in range(base, base + 5) for j in range(base, base + 5)] for base in (0, 5)]
    links = graph.adjacency([pair for block in blocks for pair in block], 11)
    vectors = graph.random_projection_embedding(links, dimensions=8, width=64)
    assert vectors.shape == (11, 8)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.9 and similarity[5, 6] > 0.9 and similarity[0, 5] < 0.1
    assert not vectors[10].any()                                        # no links, no knowledge
    np.testing.assert_array_equal(vectors, graph.random_projection_embedding(links, dimensions=8, width=64))


def test_retrofit_keeps_a_word_without_links():
    vectors = np.eye(3)
    fitted = graph.retrofit(vectors, sp.csr_matrix((3, 3), dtype=np.float32))
    np.testing.assert_allclose(fitted, vectors)


def test_dictd_numbers_and_entries(tmp_path):
    import gzip

    assert translation.decode_number("B") == 1 and translation.decode_number("BA") == 64
    text = ("boot /boːt/ <n>\n1. boat, ship [naut.]\n see: {schip}\nrivier /riˈvir/\nriver (large stream)\n")
    data = text.encode()
    (tmp_path / "freedict-nld-eng.dict.dz").write_bytes(gzip.compress(data))
    first = data.index(b"rivier")  # offsets count bytes
    code = lambda n: translation.BASE64[n // 64] + translation.BASE64[n % 64]  # noqa: E731
    (tmp_path / "freedict-nld-eng.index").write_text(
        f"boot\t{code(0)}\t{code(first)}\nrivier\t{code(first)}\t{code(len(data) - first)}\n")
    found = list(translation.entries(*translation.paths_for("nl", tmp_path)))
    assert found == [("boot", ["boat", "ship"]), ("rivier", ["river"])]


def test_dutch_gets_general_knowledge_from_its_dictionary_only(tmp_path):
    status = background_space.knowledge_status("nl")
    assert status["available"] and status["using"] == ["translation"]
    dutch = background_space.load_or_build(CACHE, language="nl")
    assert dutch.info["kind"] == "translated" and "FreeDict" in dutch.info["method"]
    missing = background_space.knowledge_status("nl", dictionary_dir=tmp_path)
    assert not missing["available"] and "apt-get install dict-freedict-nld-eng" in missing["message"]
    assert "no Dutch thesaurus" in missing["message"]
    with pytest.raises(background_space.BackgroundUnavailable, match="dict-freedict-nld-eng"):
        background_space.load_or_build(tmp_path, language="nl", dictionary_dir=tmp_path)


def test_missing_sources_name_their_packages(tmp_path):
    status = background_space.knowledge_status("de", thesaurus_dir=tmp_path, dictionary_dir=tmp_path)
    assert not status["available"]
    assert "apt-get install mythes-de" in status["message"] and "dict-freedict-deu-eng" in status["message"]
    with pytest.raises(background_space.BackgroundUnavailable, match="apt-get install mythes-de"):
        background_space.load_or_build(tmp_path, language="de", thesaurus_dir=tmp_path, dictionary_dir=tmp_path)
    partial = background_space.knowledge_status("de", dictionary_dir=tmp_path)
    assert partial["available"] and partial["using"] == ["thesaurus"] and "translation" in partial["missing"]


def test_a_thesaurus_alone_is_embedded_by_random_projections():
    french = background_space.load_or_build(CACHE, language="fr", sources=("thesaurus",))
    assert french.info["kind"] == "graph" and french.describe()["graph"]
    assert {"bateau", "canot", "embarcation"} & dict(french.neighbours("barque", 10)).keys()


@pytest.mark.parametrize("language", ["de", "fr", "es", "it", "pt"])
def test_each_thesaurus_language_has_a_background_in_the_english_space(language):
    status = background_space.knowledge_status(language)
    assert status["available"] and status["using"] == ["thesaurus", "translation"], status["message"]
    space = background_space.load_or_build(CACHE, language=language)
    assert space.language == language and space.dimensions == 50 and len(space.words) > 10_000
    assert space.info["kind"] == "retrofitted" and space.describe()["graph"]
    np.testing.assert_allclose(np.linalg.norm(space.vectors, axis=1), 1, atol=1e-5)
    # translations place the words where their English meaning is
    english = background_space.load_or_build(CACHE)
    water = {"de": "wasser", "fr": "eau", "es": "agua", "it": "acqua", "pt": "água"}[language]
    scores = english.vectors @ space.vectors[space.index[water]]
    assert "water" in [english.words[i] for i in np.argsort(-scores)[:10]]


# Texts written for these tests: a ferryman's river, a merchant, a forest. The
# rare words (Kahn, Strom, barque, rive) occur once each.
GERMAN = [
    "Der alte Fährmann wohnte in einer Hütte am Ufer des großen Flusses.",
    "Jeden Morgen fuhr er mit seinem Boot über den Fluss und brachte Reisende ans andere Ufer.",
    "Die Reisenden bezahlten ihn mit Brot, mit Reis oder mit ein paar Münzen.",
    "Im Sommer war das Wasser ruhig, im Frühling führte der Strom viel Wasser.",
    "Eines Tages kam ein junger Händler mit seinem Sohn zum Ufer.",
    "Der Sohn wollte nicht mit dem Boot fahren, weil er Angst vor dem Wasser hatte.",
    "Der Fährmann lachte und zeigte ihm die Fische im klaren Wasser.",
    "Am Abend saßen sie vor der Hütte und hörten dem Fluss zu.",
    "Der Händler erzählte von der Stadt, von Geld, von Seide und von Gewürzen.",
    "Der Fährmann aber sprach vom Fluss, vom Regen und von den Bäumen im Wald.",
    "Im Wald hinter der Hütte standen hohe Bäume, und Vögel sangen in den Zweigen.",
    "Später kaufte der Händler einen kleinen Kahn und fuhr allein flussabwärts.",
]
FRENCH = [
    "Le vieux passeur habitait une cabane au bord du grand fleuve.",
    "Chaque matin, il traversait le fleuve avec son bateau et conduisait les voyageurs sur l'autre rive.",
    "Les voyageurs le payaient avec du pain, du riz ou quelques pièces.",
    "En été l'eau était calme, au printemps le fleuve portait beaucoup d'eau.",
    "Un jour, un jeune marchand arriva au bord de l'eau avec son fils.",
    "Le fils ne voulait pas monter dans le bateau, car il avait peur de l'eau.",
    "Le passeur rit et lui montra les poissons dans l'eau claire.",
    "Le soir, ils s'asseyaient devant la cabane et écoutaient le fleuve.",
    "Le marchand parlait de la ville, de l'argent, de la soie et des épices.",
    "Le passeur, lui, parlait du fleuve, de la pluie et des arbres de la forêt.",
    "Dans la forêt derrière la cabane se dressaient de grands arbres, et les oiseaux chantaient.",
    "Plus tard, le marchand acheta une petite barque et descendit seul le fleuve.",
]


DUTCH = [
    "De oude veerman woonde in een hut aan de oever van de grote rivier.",
    "Elke ochtend voer hij met zijn boot over de rivier en bracht reizigers naar de overkant.",
    "De reizigers betaalden hem met brood, met rijst of met een paar munten.",
    "In de zomer was het water rustig, in de lente voerde de stroom veel water mee.",
    "Op een dag kwam een jonge koopman met zijn zoon naar de kant.",
    "De zoon wilde niet met de boot varen, omdat hij bang was voor het water.",
    "De veerman lachte en liet hem de vissen in het heldere water zien.",
    "'s Avonds zaten ze voor de hut en luisterden naar de rivier.",
    "De koopman vertelde over de stad, over geld, over zijde en over specerijen.",
    "De veerman sprak over de rivier, over de regen en over de bomen in het bos.",
    "In het bos achter de hut stonden hoge bomen, en vogels zongen in de takken.",
    "Later kocht de koopman een kleine schuit en voer alleen stroomafwaarts.",
]


SPANISH = [
    "El viejo barquero vivía en una cabaña a la orilla del gran río.",
    "Cada mañana cruzaba el río con su barco y llevaba a los viajeros a la otra orilla.",
    "Los viajeros le pagaban con pan, con arroz o con algunas monedas.",
    "En verano el agua estaba tranquila, en primavera el río llevaba mucha agua.",
    "Un día llegó a la orilla un joven comerciante con su hijo.",
    "El hijo no quería subir al barco, porque tenía miedo del agua.",
    "El barquero se rió y le mostró los peces en el agua clara.",
    "Por la tarde se sentaban delante de la cabaña y escuchaban el río.",
    "El comerciante hablaba de la ciudad, del dinero, de la seda y de las especias.",
    "El barquero, en cambio, hablaba del río, de la lluvia y de los árboles del bosque.",
    "En el bosque detrás de la cabaña había árboles altos, y los pájaros cantaban en las ramas.",
    "Más tarde el comerciante compró una pequeña barca y bajó solo por el río.",
]
ITALIAN = [
    "Il vecchio traghettatore viveva in una capanna sulla riva del grande fiume.",
    "Ogni mattina attraversava il fiume con la sua barca e portava i viaggiatori sull'altra riva.",
    "I viaggiatori lo pagavano con pane, con riso o con qualche moneta.",
    "In estate l'acqua era calma, in primavera il fiume portava molta acqua.",
    "Un giorno arrivò sulla riva un giovane mercante con suo figlio.",
    "Il figlio non voleva salire sulla barca, perché aveva paura dell'acqua.",
    "Il traghettatore rise e gli mostrò i pesci nell'acqua limpida.",
    "La sera sedevano davanti alla capanna e ascoltavano il fiume.",
    "Il mercante parlava della città, del denaro, della seta e delle spezie.",
    "Il traghettatore invece parlava del fiume, della pioggia e degli alberi del bosco.",
    "Nel bosco dietro la capanna c'erano alberi alti, e gli uccelli cantavano tra i rami.",
    "Più tardi il mercante comprò un piccolo battello e scese da solo lungo il fiume.",
]
PORTUGUESE = [
    "O velho barqueiro morava numa cabana na margem do grande rio.",
    "Todas as manhãs atravessava o rio com o seu barco e levava os viajantes para a outra margem.",
    "Os viajantes pagavam-lhe com pão, com arroz ou com algumas moedas.",
    "No verão a água estava calma, na primavera o rio levava muita água.",
    "Um dia chegou à margem um jovem comerciante com o seu filho.",
    "O filho não queria entrar no barco, porque tinha medo da água.",
    "O barqueiro riu-se e mostrou-lhe os peixes na água clara.",
    "À tarde sentavam-se diante da cabana e escutavam o rio.",
    "O comerciante falava da cidade, do dinheiro, da seda e das especiarias.",
    "O barqueiro, porém, falava do rio, da chuva e das árvores da floresta.",
    "Na floresta atrás da cabana havia árvores altas, e os pássaros cantavam nos ramos.",
    "Mais tarde o comerciante comprou uma pequena canoa e desceu sozinho pelo rio.",
]


@pytest.mark.parametrize("language,texts,rare,expected", [
    ("de", GERMAN, "Kahn", "boot"), ("de", GERMAN, "Strom", "fluß"),
    ("fr", FRENCH, "barque", "bateau"), ("fr", FRENCH, "rive", "bord"),
    ("nl", DUTCH, "schuit", "boten"), ("nl", DUTCH, "oever", "kant"),
    ("es", SPANISH, "barca", "barco"), ("it", ITALIAN, "battello", "barca"), ("pt", PORTUGUESE, "canoa", "barco"),
])
def test_a_rare_word_finds_its_neighbour_in_its_own_language(language, texts, rare, expected):
    docs = [{"_id": str(i), "text": text} for i, text in enumerate(texts)]
    knowledge = background_space.load_or_build(CACHE, language=language)
    blended = build_model(docs, background=knowledge, language=language)
    own_text_only = build_model(docs, language=language)
    assert blended.background_key == knowledge.key and blended.from_background.any()
    assert neighbour_lemmas(blended, rare, 2)[0] == expected
    assert expected not in neighbour_lemmas(own_text_only, rare, 2)   # the text alone does not know it
    assert all(term.endswith(f"|{language}") for term in blended.terms)


def test_a_background_of_another_language_is_not_used(tmp_path):
    docs = [{"_id": str(i), "text": text} for i, text in enumerate(GERMAN)]
    english = background_space.load_or_build(CACHE)
    model = build_model(docs, background=english, language="de")
    assert model.blend is None and model.background_key == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_thesaurus_item_is_cleaned_to_at_most_three_words(item):
    cleaned = thesaurus.clean(item)
    assert cleaned == "" or 1 <= len(cleaned.split(" ")) <= thesaurus.MAX_WORDS
    assert "(" not in cleaned and ")" not in cleaned and "|" not in cleaned


def test_a_language_background_is_deterministic():
    english = background_space.load_or_build(CACHE)
    first = background_space.build(language="fr", english=english)
    again = background_space.build(language="fr", english=english)
    assert first.words == again.words and first.key == again.key
    np.testing.assert_array_equal(first.vectors, again.vectors)


def test_a_phrase_leans_on_its_rarer_word():
    from lumiwork.engine.blend import term_background
    from lumiwork.engine.text import known_words, stopwords

    english = background_space.load_or_build(CACHE)
    [phrase, ferry, across], known = term_background(
        english, [("ferry", "across"), ("ferry",), ("across",)], stopwords("en"), known_words("en"))
    assert known.all()
    assert phrase @ ferry > phrase @ across          # "ferried across" is mostly ferry
    [plain], _ = term_background(english, [("ferry", "across")], stopwords("en"))
    assert phrase @ ferry > plain @ ferry            # more than a plain mean makes it
