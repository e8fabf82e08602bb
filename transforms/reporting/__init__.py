"""HTML report building blocks shared by the profile and model reports."""
