"""Stage 1, the tunnel plan: takes the inventory file and gives the resolved, neutral
:class:`~netgen.inventory.model.Inventory` (defaults layered, tunnels generated and named) and
every problem with Cloudflare's rules at once. ``schema`` mirrors the YAML, ``resolve`` builds
the model, ``rules`` and ``tunnel_rules`` check it, ``load`` runs the three."""
