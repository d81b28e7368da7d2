"""Share link tokens: only the exact token the server made names its link."""
import string

from hypothesis import given
from hypothesis import strategies as st

from lumiwork.server.core.links import read_link, sign_link

SECRET = b"a secret of the data folder"
BASE64URL = string.ascii_letters + string.digits + "-_"


@given(link_id=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=24),
       position=st.integers(min_value=0), replacement=st.sampled_from(BASE64URL))
def test_a_token_with_any_character_changed_names_no_link(link_id, position, replacement):
    token = sign_link(SECRET, link_id)
    assert read_link(SECRET, token) == link_id
    at = position % len(token)
    if token[at] != replacement:
        altered = token[:at] + replacement + token[at + 1:]
        assert read_link(SECRET, altered) is None  # also where base64's spare bits change


def test_a_token_from_another_secret_names_no_link():
    assert read_link(b"another server", sign_link(SECRET, "abc")) is None


def test_the_last_character_cannot_be_changed_in_base64s_spare_bits():
    """The signature's last base64 character carries spare bits: every other
    character there, including those that decode to the same bytes, is refused."""
    for link_id in ("abc", "link-1", "x" * 20):
        token = sign_link(SECRET, link_id)
        for replacement in BASE64URL.replace(token[-1], ""):
            assert read_link(SECRET, token[:-1] + replacement) is None, (token, replacement)
