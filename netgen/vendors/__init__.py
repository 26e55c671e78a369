"""The vendor registry: ``vendors/<id>.yaml`` profiles validated like user input
(``registry``) and the per-vendor encoders every outside string passes before it reaches a
config (``encoding``). A vendor is that profile plus ``templates/<id>/``, nothing else."""
