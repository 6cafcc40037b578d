"""Policy: domain and account blocks, allowlists, reports and the verdicts others ask for."""
