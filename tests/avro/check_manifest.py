#!/usr/bin/python3
"""Independent check of Nilus manifests and manifest lists with Apache's Avro library.

Usage:
  check_manifest.py manifest PATH --content data|deletes --count N [--paths a,b,...]
                    [--partition NAME=VALUE ...]   (the first entry's partition, as str())
  check_manifest.py list PATH --count N [--snapshot-id ID] [--sequence-number N]

Opens the file with python3-avro and asserts that every field carries its Iceberg field id
(field-id on record fields, element-id on arrays, key-id/value-id on int-keyed map arrays),
that the ids are the ones the Iceberg v2 spec assigns, that the required metadata keys are
present, and some values. Exits non-zero with a message on the first failure.
"""
import argparse
import json
import sys

import avro.datafile
import avro.io

MANIFEST_ENTRY_IDS = {"status": 0, "snapshot_id": 1, "sequence_number": 3,
                      "file_sequence_number": 4, "data_file": 2}
DATA_FILE_IDS = {"content": 134, "file_path": 100, "file_format": 101, "partition": 102,
                 "record_count": 103, "file_size_in_bytes": 104, "column_sizes": 108,
                 "value_counts": 109, "null_value_counts": 110, "nan_value_counts": 137,
                 "lower_bounds": 125, "upper_bounds": 128, "key_metadata": 131,
                 "split_offsets": 132, "equality_ids": 135, "sort_order_id": 140}
MAP_IDS = {"column_sizes": (117, 118), "value_counts": (119, 120),
           "null_value_counts": (121, 122), "nan_value_counts": (138, 139),
           "lower_bounds": (126, 127), "upper_bounds": (129, 130)}
LIST_IDS = {"split_offsets": 133, "equality_ids": 136, "partitions": 508}
MANIFEST_FILE_IDS = {"manifest_path": 500, "manifest_length": 501, "partition_spec_id": 502,
                     "content": 517, "sequence_number": 515, "min_sequence_number": 516,
                     "added_snapshot_id": 503, "added_files_count": 504,
                     "existing_files_count": 505, "deleted_files_count": 506,
                     "added_rows_count": 512, "existing_rows_count": 513,
                     "deleted_rows_count": 514, "partitions": 507, "key_metadata": 519}
FIELD_SUMMARY_IDS = {"contains_null": 509, "contains_nan": 518, "lower_bound": 510,
                     "upper_bound": 511}


def fail(msg):
    print("check_manifest: FAIL: " + msg)
    sys.exit(1)


def non_null(t):
    if isinstance(t, list):
        rest = [b for b in t if b != "null"]
        if len(rest) != 1:
            fail("unexpected union %r" % (t,))
        return rest[0]
    return t


def check_ids(t, path, expected_by_record):
    """Every record field has a field-id; every array an element-id or map key/value ids."""
    t = non_null(t)
    if not isinstance(t, dict):
        return
    kind = t.get("type")
    if kind == "record":
        expected = expected_by_record.get(t["name"], {})
        for f in t["fields"]:
            where = path + "." + f["name"]
            if "field-id" not in f:
                fail("no field-id on " + where)
            if f["name"] in expected and f["field-id"] != expected[f["name"]]:
                fail("%s has field-id %s, spec says %s" % (where, f["field-id"],
                                                           expected[f["name"]]))
            ft = non_null(f["type"])
            if isinstance(ft, dict) and ft.get("type") == "array":
                if ft.get("logicalType") == "map":
                    k, v = MAP_IDS[f["name"]]
                    if ft.get("key-id") != k or ft.get("value-id") != v:
                        fail("%s: key-id/value-id %s/%s, spec says %s/%s" %
                             (where, ft.get("key-id"), ft.get("value-id"), k, v))
                    kv = {x["name"]: x.get("field-id") for x in ft["items"]["fields"]}
                    if kv != {"key": k, "value": v}:
                        fail("%s: key/value record field ids %r" % (where, kv))
                else:
                    if "element-id" not in ft:
                        fail("no element-id on " + where)
                    if f["name"] in LIST_IDS and ft["element-id"] != LIST_IDS[f["name"]]:
                        fail("%s has element-id %s" % (where, ft["element-id"]))
                    check_ids(ft["items"], where + "[]", expected_by_record)
            else:
                check_ids(ft, where, expected_by_record)
    elif kind == "array":
        check_ids(t["items"], path + "[]", expected_by_record)


def open_file(path):
    reader = avro.datafile.DataFileReader(open(path, "rb"), avro.io.DatumReader())
    meta = {k: v.decode("utf-8") if isinstance(v, bytes) else v for k, v in reader.meta.items()}
    return reader, meta, json.loads(meta["avro.schema"])


def check_manifest(args):
    reader, meta, schema = open_file(args.path)
    for key in ("schema", "schema-id", "partition-spec", "partition-spec-id", "format-version",
                "content"):
        if key not in meta:
            fail("manifest metadata lacks '%s'" % key)
    json.loads(meta["schema"])
    if not isinstance(json.loads(meta["partition-spec"]), list):
        fail("partition-spec is not a JSON array")
    int(meta["schema-id"])
    int(meta["partition-spec-id"])
    if meta["format-version"] != "2":
        fail("format-version is %r" % meta["format-version"])
    if meta["content"] != args.content:
        fail("content is %r, expected %r" % (meta["content"], args.content))
    if meta.get("avro.codec", "null") not in ("null", "deflate"):
        fail("codec %r" % meta.get("avro.codec"))
    if schema["name"] != "manifest_entry":
        fail("root record is %r" % schema["name"])
    data_file = [f for f in schema["fields"] if f["name"] == "data_file"][0]["type"]
    check_ids(schema, "manifest_entry", {"manifest_entry": MANIFEST_ENTRY_IDS,
                                         data_file["name"]: DATA_FILE_IDS})
    part = [f for f in data_file["fields"] if f["name"] == "partition"][0]["type"]
    spec = json.loads(meta["partition-spec"])
    if [f["field-id"] for f in part["fields"]] != [f["field-id"] for f in spec]:
        fail("partition struct ids %r do not match the spec %r" % (part["fields"], spec))
    records = list(reader)
    reader.close()
    if len(records) != args.count:
        fail("%d entries, expected %d" % (len(records), args.count))
    for r in records:
        if r["status"] not in (0, 1, 2):
            fail("bad status %r" % r["status"])
        if r["status"] != 1 and (r["sequence_number"] is None or
                                 r["file_sequence_number"] is None):
            fail("EXISTING/DELETED entry without sequence numbers")
        c = r["data_file"]["content"]
        if (c == 0) != (args.content == "data"):
            fail("data_file content %d in a %s manifest" % (c, args.content))
        if c == 2 and not r["data_file"]["equality_ids"]:
            fail("equality delete without equality_ids")
    if args.paths is not None:
        got = [r["data_file"]["file_path"] for r in records]
        if got != args.paths.split(","):
            fail("file paths %r, expected %r" % (got, args.paths))
    for expect in args.partition or []:
        name, value = expect.split("=", 1)
        got = records[0]["data_file"]["partition"].get(name)
        if str(got) != value:
            fail("partition %s is %r, expected %s" % (name, got, value))
    print("check_manifest: OK manifest %d entries" % len(records))


def check_list(args):
    reader, meta, schema = open_file(args.path)
    for key in ("snapshot-id", "parent-snapshot-id", "sequence-number", "format-version"):
        if key not in meta:
            fail("manifest list metadata lacks '%s'" % key)
    if meta["format-version"] != "2":
        fail("format-version is %r" % meta["format-version"])
    if args.snapshot_id is not None and int(meta["snapshot-id"]) != args.snapshot_id:
        fail("snapshot-id %s" % meta["snapshot-id"])
    if schema["name"] != "manifest_file":
        fail("root record is %r" % schema["name"])
    parts = non_null([f for f in schema["fields"] if f["name"] == "partitions"][0]["type"])
    check_ids(schema, "manifest_file", {"manifest_file": MANIFEST_FILE_IDS,
                                        parts["items"]["name"]: FIELD_SUMMARY_IDS})
    records = list(reader)
    reader.close()
    if len(records) != args.count:
        fail("%d manifests, expected %d" % (len(records), args.count))
    for r in records:
        if args.sequence_number is not None and r["sequence_number"] != args.sequence_number:
            fail("manifest sequence_number %r" % r["sequence_number"])
        if r["min_sequence_number"] > r["sequence_number"]:
            fail("min_sequence_number above sequence_number")
        if r["content"] not in (0, 1):
            fail("bad content %r" % r["content"])
    print("check_manifest: OK list %d manifests" % len(records))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["manifest", "list"])
    p.add_argument("path")
    p.add_argument("--content", default="data")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--paths")
    p.add_argument("--partition", action="append")
    p.add_argument("--snapshot-id", type=int)
    p.add_argument("--sequence-number", type=int)
    args = p.parse_args()
    if args.kind == "manifest":
        check_manifest(args)
    else:
        check_list(args)


if __name__ == "__main__":
    main()
