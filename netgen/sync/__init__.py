"""Talking to Cloudflare's Magic API (``netgen pull`` and ``netgen apply``) through the official
``cloudflare`` SDK.

:mod:`.client` wraps the SDK: the token only from ``CLOUDFLARE_API_TOKEN``, the SDK's own base
URL setting and retries, raw response bytes (so a PSK from ``psk_generate`` goes straight to the
importer and is never a plain string here), errors as :class:`~.client.CloudError`.
:mod:`.changes` computes what to create, update and delete from the inventory's bodies and the
live account, touching only what netgen manages.
"""
