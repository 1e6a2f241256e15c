"""function.s3_event: records parsed and classified."""

from __future__ import annotations

from function.s3_event import BadRecord, Upload, is_test_event, parse_records

MIB = 1024 * 1024


def test_records_are_decoded_and_classified():
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "up"},
                    "object": {"key": "a+b%2Bc/caf%C3%A9.jpg", "versionId": "v1", "size": 10},
                },
            },
            {
                "eventName": "ObjectCreated:Copy",
                "s3": {"bucket": {"name": "up"}, "object": {"key": "x"}},
            },
            {
                "eventName": "ObjectRemoved:Delete",
                "s3": {"bucket": {"name": "up"}, "object": {"key": "y"}},
            },
            "garbage",
        ]
    }
    parsed = parse_records(event)
    assert parsed[0] == Upload("up", "a b+c/café.jpg", "v1", 10)
    assert parsed[1] == Upload("up", "x", None, None)
    assert isinstance(parsed[2], BadRecord) and parsed[2].key == "y"
    assert isinstance(parsed[3], BadRecord) and parsed[3].bucket is None
    assert is_test_event({"Event": "s3:TestEvent"}) and is_test_event(None)
    assert not is_test_event(event)
    assert isinstance(parse_records({"Records": "nope"})[0], BadRecord)
