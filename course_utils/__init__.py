"""course_utils: helpers for the interactive course on convolutional neural networks.

One module per concept: ``data`` (the data folder, MNIST, downloads), ``arithmetic`` (output
sizes, receptive fields), ``viz`` (signed images, filter and activation grids), ``widgets``
(interactive explorers), ``models`` (the course's networks), ``exercises`` (exercise checks).
"""

__version__ = "0.1.0"
