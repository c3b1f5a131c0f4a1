"""Checks this service's event_outbox table and its named indexes (seed 000's verifier).

python services/file_service/scripts/verify_outbox_indexes.py --database-url URL
"""

import sys

from huleedu_service_libs.outbox.verify import main

if __name__ == "__main__":
    sys.exit(main())
