"""Owners and teams: who a process acts for and the groups they belong to (``groups``), who
may read or cancel which job (``access``), and the budgets of paid backends (``budgets``,
``spending``: what a job is expected to cost, and what has been spent)."""
