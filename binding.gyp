{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20", "-O3"],
    "cflags_cc": ["-std=c++17", "-O2", "-fPIC", "-fexceptions", "-Wall", "-Wextra", "-Wshadow", "-Wno-unused-parameter"],
    "cflags!": ["-O3"],
    "cflags": ["-O2"],
    "ldflags": ["-pthread"],
    "defines": ["NDEBUG"],
    "conditions": [
      ["OS=='win'", {
        "defines": ["_WIN32_WINNT=0x0601", "WIN32_LEAN_AND_MEAN", "NOMINMAX"],
        "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"], "ExceptionHandling": 1}},
        "link_settings": {"libraries": ["-lws2_32"]}
      }]
    ]
  },
  "targets": [
    {
      "target_name": "lanserver_core",
      "type": "static_library",
      "sources": [
        "addon/src/core/build_info.cpp",
        "addon/src/core/cidr.cpp",
        "addon/src/core/completion_port.cpp",
        "addon/src/core/errno_name.cpp",
        "addon/src/core/framing.cpp",
        "addon/src/core/ip_address.cpp",
        "addon/src/core/lan_server.cpp",
        "addon/src/core/prober.cpp",
        "addon/src/core/race_windows.cpp",
        "addon/src/core/session.cpp",
        "addon/src/core/server_options.cpp",
        "addon/src/core/session_table.cpp",
        "addon/src/core/stats.cpp"
      ],
      "conditions": [
        ["OS=='win'", {
          "sources": ["addon/src/core/iocp_port.cpp", "addon/src/core/platform_win.cpp"]
        }, {
          "sources": ["addon/src/core/epoll_port.cpp", "addon/src/core/io_uring_port.cpp", "addon/src/core/platform_posix.cpp"]
        }]
      ]
    },
    {
      "target_name": "lanserver",
      "dependencies": ["lanserver_core"],
      "sources": ["addon/src/binding/addon.cpp"],
      "conditions": [
        ["OS!='win'", {"sources": ["addon/src/binding/fleet_binding.cpp", "addon/src/fleet/fleet_engine.cpp"]}]
      ],
      "cflags_cc!": ["-Wshadow"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "lanserver_exe",
      "type": "executable",
      "product_name": "lanserver",
      "dependencies": ["lanserver_core"],
      "sources": ["addon/src/standalone/main.cpp"],
      "conditions": [["OS!='win'", {"libraries": ["-pthread"]}]]
    }
  ]
}
