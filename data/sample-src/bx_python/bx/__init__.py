"""bx look-alike: sequence helpers backed by the C extension bx._seqmapping."""
from bx._seqmapping import reverse_complement

__all__ = ["reverse_complement"]
