"""GenStudio: generate and edit images with generative models you can train yourself."""

__version__ = "0.1.0"
