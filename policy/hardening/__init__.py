"""image-pipeline's hardening policies: pure rules (``rules``) and their CrossGuard form
(``policies``)."""
