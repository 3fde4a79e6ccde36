"""The class server: a JupyterHub service run by ``kenali serve`` (tornado).

* :mod:`.course`: the server's own copy of the course, with its keys;
* :mod:`.core`: checking, counting, the policy and storing (no HTTP);
* :mod:`.auth`: hub tokens and OAuth (or a token file for tests and benchmarks);
* :mod:`.api`: the kernels' JSON API and the data the pages poll;
* :mod:`.pages`: the facilitator's live view and projector view (``templates/``, ``static/``);
* :mod:`.state`: what the handlers share; :mod:`.app`: the application and ``kenali serve``.

See docs/classroom.md for the API and how the hub grants the tokens it accepts.
"""
