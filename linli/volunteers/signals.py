"""The one signal this module sends, for the time bank (linli/timebank) to credit confirmed service.

`service_confirmed` is sent by `services.records_confirm` inside its transaction, after the records are
saved as confirmed, with `records=<list of ServiceRecord just confirmed>` and `actor=<user or None>`.
A receiver that raises rolls the whole confirmation back (`send`, not `send_robust`), so the service
record and the time bank never disagree.
"""

from __future__ import annotations

import django.dispatch

service_confirmed = django.dispatch.Signal()
