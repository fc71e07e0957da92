"""PennyLane on qnb: the ``qnb.qubit`` device (``device``) and the tapes and QNodes that
``%%qsubmit`` and ``qnb.submit`` take (``tapes``)."""
