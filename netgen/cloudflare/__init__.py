"""Everything about Cloudflare. ``facts``: its rules, limits and defaults (with sources);
``addressing``: which host of a tunnel subnet is Cloudflare's; ``crypto``: the IKEv2/ESP suites
it accepts; ``responses``: reading saved API responses into typed objects; ``payloads``: the API
request bodies for an inventory and its allocation (the only module here that sits above the
state layer)."""
