"""Stage 4, the files: takes device plans and gives rendered files (``environment``: the
sandboxed Jinja environment and the config digest), written atomically into an output tree
with its MANIFEST.json (``output``), whose directory is checked and repaired first
(``output_dir``). ``starter`` writes the ``netgen init`` inventory."""
