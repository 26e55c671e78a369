"""Stage 3, the neutral per-device plan: takes the inventory, its allocation and a vendor
profile and gives a :class:`~netgen.plan.model.DevicePlan` with every value a template prints
already computed and encoded (``build``; identities in ``identity``, routes in ``routing``,
real PSKs only at the end in ``reveal``)."""
