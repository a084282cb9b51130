"""System checks for configuration Panes depends on (ids charts.E0xx / charts.W0xx)."""
