"""The fast canonical form used to verify stored rows is byte-for-byte the stdlib form that
the auditor's stand-alone verifier computes."""

from hypothesis import given
from hypothesis import strategies as st

from workflows.chain import canonical_bytes, canonical_bytes_from_columns, canonical_json

text = st.text(max_size=40)
optional_text = st.none() | text
ids = st.integers(min_value=0, max_value=2**40)
nested = st.dictionaries(st.text(max_size=12), st.none() | st.booleans() | text | ids, max_size=4)


@given(
    seq=ids, occurred_at=text, actor_id=st.none() | ids, actor_role=text, object_type=text,
    object_id=ids, object_version=ids, action=text, from_state=optional_text,
    to_state=optional_text, amounts=nested, changes=nested, reason=optional_text, prev_hash=text,
)  # fmt: skip
def test_fast_and_standard_canonical_forms_agree(**event):
    standard = canonical_bytes(event)
    fast = canonical_bytes_from_columns(
        event["seq"], event["occurred_at"], event["actor_id"], event["actor_role"],
        event["object_type"], event["object_id"], event["object_version"], event["action"],
        event["from_state"], event["to_state"], canonical_json(event["amounts"]),
        canonical_json(event["changes"]), event["reason"], event["prev_hash"],
    )  # fmt: skip
    assert fast == standard


def test_floats_are_refused():
    import pytest

    with pytest.raises(TypeError, match="float"):
        canonical_json({"amount": 1.5})
