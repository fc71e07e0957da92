"""Backend adapters, behind the small interface of ``base.Provider``.

``registry`` chooses the adapter for a profile's provider name. Providers: ``aer``,
``ibm_fake``, ``ibm_runtime``, ``pennylane``, ``delayed``, ``braket_local``, ``braket_cloud``,
``azure`` (Azure Quantum; its formats, results, statuses and profile checks in ``azure_*``)
and ``azure_estimator`` (the QDK's local resource estimator).
What they share: ``simulator`` (Aer and its cached target), ``dask_executor`` (Aer on Dask),
``mitigation`` (readout mitigation), ``fake_devices`` (IBM's device models), ``ibm_status``
(IBM's statuses and errors), ``braket_program`` (circuits as Braket programs, results as
counts), ``braket_status`` (Braket's statuses, errors and ARNs) and ``listing`` (what
``%qbackend`` shows).
"""
