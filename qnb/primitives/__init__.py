"""Qiskit's V2 primitives on qnb: PUBs checked and encoded (``pubs``), ``Sampler`` and
``Estimator`` (``sampler_estimator``), their job handle (``job``) and execution sessions
(``sessions``). Kept free of imports, so that a worker decoding PUBs loads only ``pubs``."""
