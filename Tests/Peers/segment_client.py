"""Sends events to leadscore's Segment-compatible API with Segment's own Python library
(segment-analytics-python), gzip on, exactly as a marketing stack would. Run by the Swift test
testServiceAcceptsSegmentsLibrary: python segment_client.py BASE_URL WRITE_KEY."""
import sys

import segment.analytics as analytics

base, write_key = sys.argv[1], sys.argv[2]
errors = []
analytics.write_key = write_key
analytics.host = base
analytics.gzip = True
analytics.max_retries = 0
analytics.on_error = lambda error, batch: errors.append(repr(error))

analytics.track("seg-user-1", "webinar_attended", {"value": 2, "topic": "pricing"}, message_id="seg-m-1")
analytics.track("seg-user-1", "webinar_attended", {"value": 2, "topic": "pricing"}, message_id="seg-m-1")  # a retry
analytics.identify("seg-user-1", {"country": "Germany", "company_size": 120})
analytics.track(anonymous_id="seg-anon-7", event="website_visit", message_id="seg-m-2")
analytics.identify(anonymous_id="seg-anon-7", traits={"industry": "Retail"})
analytics.flush()
analytics.alias("seg-anon-7", "seg-user-1")
analytics.flush()
analytics.shutdown()
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("sent")
