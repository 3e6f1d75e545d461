print("hpcs-job")
