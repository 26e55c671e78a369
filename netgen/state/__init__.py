"""Stage 2, what must not move between runs: takes the inventory and the files beside it and
gives the sticky allocation (``allocate``: a /31 and a device-local index per tunnel), the lock
(``lock``: model, rules and writer; ``lock_read``: the one reader), the PSK secrets store
(``secrets``, ``secret_commands``) and the merge of Cloudflare's API answers (``importer``)."""
