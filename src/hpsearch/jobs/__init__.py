"""The same sweep file as a Ray job on a cluster: staging, submission, job outcome."""
