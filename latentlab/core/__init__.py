"""The bottom layer: errors, the workspace folder, limits, the device, progress, pictures, the disk cache."""
