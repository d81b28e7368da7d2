"""What the client and the server share: names and constants of the wire
contracts, the saved-token file, pack64 and the one date parser. Standard
library and numpy only, so the analyst's side never imports the engine or the
web stack to get them."""
