"""Drawings of convolution arithmetic: padding, stride, dilation, receptive fields, pooling.

Notebooks 03 and 04 draw with these functions, and the explorers draw their still pictures
with them. Each returns a matplotlib ``Figure`` made without pyplot and raises ``ValueError``
with a readable message for an impossible setting. The geometry comes from
:mod:`course_utils.arithmetic`; these modules only draw.
"""

from course_utils.diagrams.convolution import conv1d_diagram, conv2d_diagram
from course_utils.diagrams.pooling import pool1d_diagram
from course_utils.diagrams.receptive_field import receptive_field_diagram

__all__ = ["conv1d_diagram", "conv2d_diagram", "pool1d_diagram", "receptive_field_diagram"]
