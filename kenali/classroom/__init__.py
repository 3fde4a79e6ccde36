"""The classroom: the class server (a JupyterHub service), its database, the facilitator's pages, the
assessment policy, and the client in the learner's kernel that reports to it. See docs/classroom.md."""
