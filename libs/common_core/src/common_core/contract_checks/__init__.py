"""Pure checks over the contracts (schema compatibility, snapshots, the topic table).

File I/O lives in libs/common_core/scripts/regenerate_contracts.py and in the tests.
"""
