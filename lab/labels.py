"""Labels on everything the lab creates: cleanup and chaos find things by these labels only."""

MANAGED = "io.incident-lab.managed"
SERVICE = "io.incident-lab.service"
ROLE = "io.incident-lab.role"
IMAGE = "io.incident-lab.image"
INPUT_HASH = "io.incident-lab.input-hash"

#: The label filter that selects every lab resource, in docker's filter syntax.
MANAGED_FILTER = f"{MANAGED}=true"
