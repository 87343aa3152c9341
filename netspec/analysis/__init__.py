"""Stage 8 — look at the results of a run: statistics, figures and comparisons.

The modules work from a run's recorded data as :class:`~netspec.export.recorded.RecordedData`,
whether it was just recorded (the ``stats`` and ``plot`` export formats) or read
back from a run folder (``netspec stats``, ``netspec plot``, ``netspec compare``):

==========================  ===================================================
:mod:`.runfolder`           read a run folder (manifest, summary, exports) back
:mod:`.statistics`          rate, CV of ISIs, Fano factor, spike-contrast synchrony
:mod:`.figure`              raster, membrane traces, population rate (matplotlib Agg)
:mod:`.compare`             do two runs agree, within sampling noise?
==========================  ===================================================

Nothing here imports PyNN or a simulator: a run folder is analysed on any
machine with the ``analysis`` extra (``pip install '.[analysis]'`` from a checkout).
"""
