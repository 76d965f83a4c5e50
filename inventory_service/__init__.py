"""The spare-parts and asset-inventory service of the Liaoning O&M contract."""

__version__ = "0.1.0"
