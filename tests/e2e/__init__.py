"""End-to-end tests: learners' stories in JupyterLab, driven in Chromium."""
