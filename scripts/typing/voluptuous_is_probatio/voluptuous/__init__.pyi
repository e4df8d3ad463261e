# The types of `voluptuous` as Home Assistant 2026.x runs it: importing
# homeassistant installs probatio in its place (probatio.compat.
# install_as_voluptuous), so `vol.Schema` and friends are probatio's at run
# time, and Home Assistant's signatures ask for those. scripts/test puts this
# folder on MYPYPATH only when probatio is installed (the newest leg).
from probatio import *  # noqa: F403
