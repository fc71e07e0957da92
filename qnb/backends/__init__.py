"""Backend adapters, behind the small interface of ``base.Provider``.

``registry`` chooses the adapter for a profile's provider name. Providers: ``aer``,
``ibm_fake``, ``ibm_runtime``, ``pennylane``, ``delayed``. What they share: ``simulator``
(Aer and its cached target), ``dask_executor`` (Aer on Dask), ``mitigation`` (readout
mitigation), ``fake_devices`` (IBM's device models), ``ibm_status`` (IBM's statuses and
errors) and ``listing`` (what ``%qbackend`` shows).
"""
