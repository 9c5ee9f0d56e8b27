"""Analyses that several chapters share: how hard forecasting is (baselines and the physics
oracle), and reforestation trials judged with the simulator's soil model."""
