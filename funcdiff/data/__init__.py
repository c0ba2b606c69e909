"""``funcdiff.data``: datasets, a reproducible iterator-based ``DataLoader``, transforms and
real datasets (``funcdiff.data.datasets``)."""

from . import datasets, transforms
from .collate import BatchError, default_collate
from .dataset import ArrayDataset, Dataset, DatasetProtocol, Subset, random_split
from .loader import DataLoader, SampleError

__all__ = ["ArrayDataset", "BatchError", "DataLoader", "Dataset", "DatasetProtocol",
           "SampleError", "Subset", "datasets", "default_collate", "random_split",
           "transforms"]
