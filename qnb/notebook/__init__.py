"""The notebook layer: the ``%%qsubmit`` magics, the live job widget, the static rendering a
saved notebook keeps, and the charts drawn from results. Nothing below this layer imports it."""
