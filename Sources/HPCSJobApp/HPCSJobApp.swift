// HPCSJobApp
