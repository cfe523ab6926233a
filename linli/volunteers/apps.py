from linli.core.modules import ModuleConfig, section


class VolunteersConfig(ModuleConfig):
    name = "linli.volunteers"
    verbose_name = "志愿服务"
    access_sections = (
        section(r"^/volunteers/"),
        section(r"^/api/v1/volunteer"),  # volunteers, volunteer-activities, volunteer-teams …
        section(r"^/api/v1/service-records(/|$)"),
    )
