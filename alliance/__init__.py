"""The credit alliance of high-tech parks (园区信用联盟): domain core, services, park node and gateway."""

__version__ = "0.1.0"
