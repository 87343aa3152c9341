"""The SpiNNaker backend (``pyNN.spiNNaker``, sPyNNaker 7.4), one job per module:

* :mod:`.profile` — the backend profile the runner and the translator use
  (``SpinnakerProfile``: setup and population options, seeds, running);
* :mod:`.machine` — which machine a run uses (command line > environment > spec >
  the user's own configuration);
* :mod:`.configuration` — the run's own ``spynnaker.cfg``, and making sPyNNaker read
  it instead of ``~/.spynnaker.cfg``;
* :mod:`.partitioning` — neurons per core, grid boxes and the longest delay;
* :mod:`.checks` — what ``validate --backend spinnaker`` reports (never imports
  sPyNNaker), from :mod:`.capabilities` (typed) over the generated
  :mod:`.capabilities_data`;
* :mod:`.output` — sPyNNaker's log and progress bars into the run's log file;
* :mod:`.mapping_report` — chips and cores used, after the run;
* :mod:`.failures` — sPyNNaker's errors located at the spec object they concern, or
  blamed on a machine that cannot be reached.

Importing this package imports no simulator.
"""
